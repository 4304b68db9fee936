/**
 * Deeply nested JSON in WebSocket frames gets an error frame on every dialect, and the socket stays
 * usable: rooms (INVALID_MESSAGE), /signal, the account socket /ws?token= and the chat-app event
 * socket /ws/{user_id} (JSON_TOO_DEEP), the Whispr push socket (UNSUPPORTED_FRAME: it reads no
 * JSON). A /signal payload is relayed verbatim, so before the depth limit a deep one threw out of
 * the socket's message handler. Nothing is logged as an error and the server keeps serving.
 */
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import type WebSocket from 'ws';
import { account, accountSocket, ask, LIFTED, roundTrip } from '../accounts/account-kit.js';
import { collectFrames, openCollecting, openWs, wsUrl } from '../relay/helpers.js';
import { connectRoom } from '../rooms/room-helpers.js';
import { eventually } from '../support/eventually.js';
import { captureLog } from '../support/log-capture.js';
import { startServer, type RunningServer } from '../support/test-server.js';
import { deepest, NESTINGS } from './nested-json.js';

const tooDeep = { type: 'error', error_code: 'JSON_TOO_DEEP', detail: expect.any(String) };

const log = captureLog('warn');
let srv: RunningServer;
const sockets: WebSocket[] = [];
beforeAll(async () => {
  srv = await startServer({ ...LIFTED, oidc_dev_tokens: true }, { logger: log.logger });
});
afterEach(() => {
  for (const ws of sockets.splice(0)) ws.terminate();
});
afterAll(async () => {
  await srv.stop();
  expect(log.errors()).toEqual([]);
});

async function open(path: string): Promise<{ ws: WebSocket; frames: Array<Record<string, unknown>> }> {
  const opened = await openCollecting(wsUrl(srv.url, path));
  sockets.push(opened.ws);
  return opened;
}

test('rooms: INVALID_MESSAGE, and the socket still answers', async () => {
  const room = await connectRoom(srv, '/rooms');
  sockets.push(room.ws);
  await room.join('deep', 'u1');
  for (const kind of NESTINGS) expect(await room.errorFor(`{"type":"message","payload":${deepest(9_000, kind)}}`)).toBe('INVALID_MESSAGE');
  await room.sync();
});

test('/signal: a deep payload is JSON_TOO_DEEP for its sender and never reaches the other peer', async () => {
  const token = await srv.client().authenticate();
  const [a, b] = [await open(`/signal?token=${token}`), await open(`/signal?token=${token}`)];
  for (const peer of [a, b]) peer.ws.send(JSON.stringify({ type: 'join', call_id: 'deep-call' }));
  // Whichever joined second, the first was told: both are in the call.
  await eventually(() => [...a.frames, ...b.frames].some((f) => f.type === 'peer-join'));
  for (const kind of NESTINGS) b.ws.send(`{"type":"signal","call_id":"deep-call","payload":${deepest(60_000, kind)}}`);
  await eventually(() => b.frames.filter((f) => f.type === 'error').length === 2);
  expect(b.frames.filter((f) => f.type === 'error')).toEqual([tooDeep, tooDeep]);
  // Still relaying: the next signal arrives, and it is the only one that did.
  b.ws.send(JSON.stringify({ type: 'signal', call_id: 'deep-call', payload: 'after' }));
  await eventually(() => a.frames.some((f) => f.type === 'signal'));
  expect(a.frames.filter((f) => f.type === 'signal')).toEqual([{ type: 'signal', payload: 'after' }]);
});

test('/ws?token= (account socket): a deep call event is JSON_TOO_DEEP', async () => {
  const [alice, bob] = [await account(srv), await account(srv)];
  const socket = await accountSocket(srv, await alice.accessToken());
  sockets.push(socket.ws);
  for (const kind of NESTINGS) {
    expect(await ask(socket, `{"type":"call_offer","recipient_id":"${bob.userId}","sdp":${deepest(1_000_000, kind)}}`)).toEqual(tooDeep);
  }
  await roundTrip(socket);
});

test('/ws/{user_id} (chat-app events): a deep frame is JSON_TOO_DEEP', async () => {
  const { ws, frames } = await open('/ws/user_dev_deep?token=dev_deep');
  for (const kind of NESTINGS) ws.send(`{"type":"ACK","event_id":"e1","extra":${deepest(4_000, kind)}}`);
  await eventually(() => frames.length === 2);
  expect(frames).toEqual([tooDeep, tooDeep]);
  ws.send('{"type":"ping"}');
  await eventually(() => frames.length === 3);
  expect(frames[2]).toEqual({ type: 'pong' });
});

test('/ws/{key} (Whispr push): a deep frame is UNSUPPORTED_FRAME, like any frame but "ping"', async () => {
  const client = srv.client();
  const ws = await openWs(wsUrl(srv.url, `/ws/${client.address}?token=${await client.authenticate()}`));
  sockets.push(ws);
  const frames = collectFrames(ws);
  ws.send(deepest(4_000, 'arrays'));
  await eventually(() => frames.length === 1);
  expect(frames[0]).toMatchObject({ type: 'error', error_code: 'UNSUPPORTED_FRAME' });
  const sent = await srv.client().send(client.address, 'pushed after');
  await eventually(() => frames.length === 2);
  expect(frames[1]).toMatchObject({ id: sent.id });
});
