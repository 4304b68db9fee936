/** Push sockets that misbehave: frame floods, missed pongs, closed sockets, and consumers that stop reading. */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import type { WhisprClient } from 'whispr-sdk';
import { eventually, startServer, type RunningServer } from '../support/test-server.js';
import { closed, collectFrames, openWs, rawExchange, rawSocket, serverFrames, sleep, upgradeRequest, wsUrl } from './helpers.js';
import { statusFigure } from '../support/server-status.js';

const HEARTBEAT_SECONDS = 0.2;
const SEND_BUFFER = 65_536;

let srv: RunningServer;
const sockets: WebSocket[] = [];
beforeAll(async () => {
  srv = await startServer({
    heartbeat_interval_seconds: HEARTBEAT_SECONDS,
    websocket_frames_per_second: 5,
    websocket_send_buffer_bytes: SEND_BUFFER,
    max_messages_per_second: 100_000,
  });
});
afterAll(async () => {
  for (const ws of sockets) ws.terminate();
  await srv.stop();
});

const connections = () => statusFigure(srv, 'websocket_connections.whispr');

async function pushSocket(client: WhisprClient, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const ws = await openWs(wsUrl(srv.url, `/ws/${client.address}?token=${await client.authenticate()}`), options);
  sockets.push(ws);
  return ws;
}

test('a client flooding frames past websocket_frames_per_second is closed with 1008', async () => {
  const ws = await pushSocket(srv.client());
  const code = closed(ws);
  for (let i = 0; i < 40; i++) ws.send('ping');
  expect(await code).toBe(1008);
});

test('a client sending more frames than the burst, spread out, keeps its socket', async () => {
  const ws = await pushSocket(srv.client());
  // 12 frames in ~1.1 s: over the burst of 10, within 5/s plus refill.
  for (let i = 0; i < 12; i++) {
    ws.send('ping');
    await sleep(100);
  }
  expect(ws.readyState).toBe(WebSocket.OPEN);
});

describe('heartbeat', () => {
  test('a client that does not answer pings is cut off after about two intervals; one that answers stays', async () => {
    const silent = await pushSocket(srv.client(), { autoPong: false });
    const answering = await pushSocket(srv.client());
    let pings = 0;
    answering.on('ping', () => (pings += 1));
    const started = Date.now();
    const code = await closed(silent);
    const elapsed = Date.now() - started;
    expect(code).toBe(1006);
    // Generous: the server's heartbeat timers share this process, and a stall here delays them too.
    expect(elapsed).toBeLessThan(HEARTBEAT_SECONDS * 1000 * 10);
    // A socket that missed a pong gets no more pings: three more means the answering one was kept.
    const pingsAtCut = pings;
    await eventually(() => pings >= pingsAtCut + 3);
    expect(answering.readyState).toBe(WebSocket.OPEN);
  });
});

test('closed sockets are forgotten: the counter returns to zero and new messages stay queued', async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await eventually(async () => (await connections()) === 0);
  const bob = srv.client();
  const mine = await Promise.all([pushSocket(bob), pushSocket(bob), pushSocket(bob)]);
  expect(await connections()).toBe(3);
  mine[0]!.close(1000);
  mine[1]!.terminate();
  mine[2]!.close(1000);
  await eventually(async () => (await connections()) === 0);
  const sent = await srv.client().send(bob.address, 'for later');
  expect((await bob.fetchInbox()).map((m) => m.id)).toEqual([sent.id]);
});

test('a message larger than websocket_send_buffer_bytes is still pushed to a reading client', async () => {
  const bob = srv.client();
  const ws = await pushSocket(bob);
  const frames = collectFrames(ws);
  const code = closed(ws);
  const sent = await srv.client().send(bob.address, randomBytes(SEND_BUFFER * 2));
  await Promise.race([eventually(() => frames.length === 1), code.then((c) => Promise.reject(new Error(`socket closed with ${c}`)))]);
  expect(frames[0]).toMatchObject({ id: sent.id });
  expect(ws.readyState).toBe(WebSocket.OPEN);
  expect(await bob.fetchInbox()).toEqual([]);
});

describe('slow consumer', () => {
  // Its own server: the stalled socket must be closed for its send buffer, not for missed pongs.
  let slow: RunningServer;
  beforeAll(async () => {
    slow = await startServer({ websocket_send_buffer_bytes: SEND_BUFFER, max_messages_per_second: 100_000 });
  });
  afterAll(() => slow.stop());
  const slowConnections = () => statusFigure(slow, 'websocket_connections.whispr');

  /** Completes a WebSocket handshake on a raw TCP socket, then stops reading. */
  async function stalledSocket(client: WhisprClient): Promise<{ socket: Socket; received: Buffer[] }> {
    const socket = await rawSocket(slow.url);
    const response = await rawExchange(socket, upgradeRequest(`/ws/${client.address}?token=${await client.authenticate()}`));
    expect(response.status).toBe(101);
    socket.pause();
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    return { socket, received };
  }

  /** The text payloads of the complete text frames in `bytes`. */
  const textFrames = (bytes: Buffer): string[] => serverFrames(bytes).flatMap((f) => (f.opcode === 1 ? [f.payload.toString('utf8')] : []));

  test('a socket that stops reading is closed, and what it could not take stays queued for /inbox', async () => {
    const bob = slow.client();
    const { socket, received } = await stalledSocket(bob);
    try {
      await eventually(async () => (await slowConnections()) === 1);
      const senders = [slow.client(), slow.client(), slow.client(), slow.client()];
      const sentIds: number[] = [];
      // ~40 KB frames: each fits the send buffer; the kernel's buffers fill first, then the server's.
      for (let batch = 0; batch < 40 && (await slowConnections()) > 0; batch++) {
        const results = await Promise.all(senders.map((s) => s.send(bob.address, randomBytes(30_000))));
        sentIds.push(...results.map((r) => r.id));
      }
      await eventually(async () => (await slowConnections()) === 0, 5_000);

      // Whatever reached the socket before it was closed is still in the kernel: read it now.
      socket.resume();
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        setTimeout(resolve, 2_000).unref();
      });
      const pushedIds = textFrames(Buffer.concat(received)).map((t) => (JSON.parse(t) as { id: number }).id);
      const queuedIds = (await bob.fetchInbox()).map((m) => m.id);
      expect(queuedIds.length).toBeGreaterThan(0);
      // Nothing lost, nothing twice.
      const all = [...pushedIds, ...queuedIds];
      expect(all).toHaveLength(sentIds.length);
      expect(new Set(all)).toEqual(new Set(sentIds));
    } finally {
      socket.destroy();
    }
  });
});
