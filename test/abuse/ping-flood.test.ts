/**
 * Ping frames (WebSocket control frames) are answered with pongs within websocket_frames_per_second
 * (burst twice that) on every dialect; a flood past it gets a close frame with 1008 first, and a
 * client that does not close then is cut off. The server keeps serving everyone else.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type WebSocket from 'ws';
import { openWs, rawExchange, rawSocket, serverFrames, upgradeRequest, wsUrl } from '../relay/helpers.js';
import { connectRoom } from '../rooms/room-helpers.js';
import { eventually } from '../support/eventually.js';
import { startServer, type RunningServer } from '../support/test-server.js';

const FRAMES_PER_SECOND = 20; // the default
const BURST = 2 * FRAMES_PER_SECOND;
const MAX_PINGS = 2_000; // the flood's bound: far past the budget
const CLOSE_OPCODE = 0x8;
const PONG_OPCODE = 0xa;
/** A masked ping frame with no payload, as a client sends it. */
const PING_FRAME = Buffer.from([0x89, 0x80, 0, 0, 0, 0]);

let srv: RunningServer;
const sockets: WebSocket[] = [];
beforeAll(async () => {
  srv = await startServer();
});
afterAll(async () => {
  await srv.stop();
});
afterEach(() => {
  for (const ws of sockets.splice(0)) ws.terminate();
});

const dialects: Array<[string, (srv: RunningServer) => Promise<string>]> = [
  ['rooms', async () => '/rooms'],
  ['signal', async (s) => `/signal?token=${await s.client().authenticate()}`],
  [
    'whispr push',
    async (s) => {
      const client = s.client();
      return `/ws/${client.address}?token=${await client.authenticate()}`;
    },
  ],
];

/** Yields to the event loop every few frames, so the server's answers can arrive. */
const breathe = (i: number) => (i % 20 === 19 ? new Promise<void>((resolve) => setImmediate(resolve)) : Promise.resolve());

describe.each(dialects)('%s', (_name, path) => {
  test('a ping flood gets pongs up to the budget, then a close frame with 1008', async () => {
    const ws = await openWs(wsUrl(srv.url, await path(srv)));
    sockets.push(ws);
    let pongs = 0;
    ws.on('pong', () => (pongs += 1));
    const closing = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
    for (let i = 0; i < MAX_PINGS && ws.readyState === ws.OPEN; i++) {
      ws.ping();
      await breathe(i);
    }
    // 1006 would mean the connection was cut without a close frame.
    expect(await closing).toEqual({ code: 1008, reason: 'too many pings' });
    expect(pongs).toBeGreaterThanOrEqual(BURST);
  });

  test('pings within the budget are answered and the socket stays open', async () => {
    const ws = await openWs(wsUrl(srv.url, await path(srv)));
    sockets.push(ws);
    let pongs = 0;
    ws.on('pong', () => (pongs += 1));
    for (let i = 0; i < BURST / 2; i++) ws.ping();
    await eventually(() => pongs === BURST / 2);
    expect(ws.readyState).toBe(ws.OPEN);
  });
});

test('a flooder that does not answer the close frame is cut off after it; others are still served', async () => {
  const socket = await rawSocket(srv.url, { allowHalfOpen: true });
  try {
    expect((await rawExchange(socket, upgradeRequest('/rooms'))).status).toBe(101);
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
    // The client keeps its own end open (allowHalfOpen): the server's end of the connection is what counts.
    const cut = new Promise((resolve) => socket.once('end', resolve));
    const closeFrame = () => serverFrames(received).find((f) => f.opcode === CLOSE_OPCODE);
    for (let i = 0; i < MAX_PINGS && closeFrame() === undefined; i++) {
      socket.write(PING_FRAME);
      await breathe(i);
    }
    const close = closeFrame();
    expect(close?.payload.readUInt16BE(0)).toBe(1008);
    expect(serverFrames(received).filter((f) => f.opcode === PONG_OPCODE).length).toBeGreaterThanOrEqual(BURST);
    // The client never sends its close frame: the server ends the connection itself.
    await cut;
  } finally {
    socket.destroy();
  }
  const room = await connectRoom(srv, '/rooms');
  sockets.push(room.ws);
  expect(await room.join('after-the-flood', 'calm')).toEqual([]);
});
