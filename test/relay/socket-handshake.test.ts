/** WS upgrades: who may open a push socket, which paths exist, per-address caps, and what a client may send. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type WebSocket from 'ws';
import { eventually, startServer, type RunningServer } from '../support/test-server.js';
import { closed, collectFrames, openWs, rawExchange, rawSocket, refusedStatus, sleep, upgradeRequest, wsUrl } from './helpers.js';
import { statusFigure } from '../support/server-status.js';

let srv: RunningServer;
const open: WebSocket[] = [];
beforeAll(async () => {
  srv = await startServer();
});
afterAll(async () => {
  for (const ws of open) ws.terminate();
  await srv.stop();
});

async function connect(url: string, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const ws = await openWs(url, options);
  open.push(ws);
  return ws;
}

describe('strict mode: only the key holder opens its push socket', () => {
  test('no token is refused with HTTP 401 and the queue is left alone', async () => {
    const alice = srv.client();
    const bob = srv.client();
    await alice.send(bob.address, 'private');
    expect(await refusedStatus(wsUrl(srv.url, `/ws/${bob.address}`))).toBe(401);
    expect(await refusedStatus(wsUrl(srv.url, `/ws?recipient=${bob.address}`))).toBe(401);
    expect(await bob.fetchInbox()).toHaveLength(1);
  });

  test("another key's token is refused with HTTP 403, a garbage token with 401", async () => {
    const bob = srv.client();
    const mallory = srv.client();
    const token = await mallory.authenticate();
    expect(await refusedStatus(wsUrl(srv.url, `/ws/${bob.address}?token=${token}`))).toBe(403);
    expect(await refusedStatus(wsUrl(srv.url, `/ws?recipient=${bob.address}&token=${token}`))).toBe(403);
    expect(await refusedStatus(wsUrl(srv.url, `/ws/${bob.address}`), { headers: { authorization: `Bearer ${token}` } })).toBe(403);
    expect(await refusedStatus(wsUrl(srv.url, `/ws/${bob.address}?token=garbage`))).toBe(401);
  });

  test('a refused upgrade carries the usual JSON error body', async () => {
    const bob = srv.client();
    const socket = await rawSocket(srv.url);
    try {
      const response = await rawExchange(socket, upgradeRequest(`/ws/${bob.address}`));
      expect(response.status).toBe(401);
      expect(JSON.parse(response.body)).toEqual({ detail: expect.any(String), error_code: 'TOKEN_REQUIRED', timestamp: expect.any(Number) });
    } finally {
      socket.destroy();
    }
  });

  test('the own token opens the socket, in the query or the Authorization header', async () => {
    const alice = srv.client();
    const bob = srv.client();
    const token = await bob.authenticate();
    const byQuery = await connect(wsUrl(srv.url, `/ws/${bob.address.toUpperCase()}?token=${token}`));
    const byHeader = await connect(wsUrl(srv.url, `/ws?recipient=${bob.address}`), { headers: { authorization: `Bearer ${token}` } });
    const a = collectFrames(byQuery);
    const b = collectFrames(byHeader);
    const sent = await alice.send(bob.address, 'hi');
    await eventually(() => a.length === 1 && b.length === 1);
    expect(a[0]).toMatchObject({ id: sent.id, to: bob.address });
    expect(b[0]).toMatchObject({ id: sent.id, to: bob.address });
  });
});

describe('paths', () => {
  test('an invalid key in ?recipient= is 400', async () => {
    expect(await refusedStatus(wsUrl(srv.url, '/ws?recipient=not-a-key'))).toBe(400);
    expect(await refusedStatus(wsUrl(srv.url, `/ws?recipient=${'ab'.repeat(31)}`))).toBe(400);
  });

  test('unknown WebSocket paths are 404', async () => {
    const key = srv.client().address;
    expect(await refusedStatus(wsUrl(srv.url, '/nope'))).toBe(404);
    expect(await refusedStatus(wsUrl(srv.url, `/ws/${key}/extra`))).toBe(404);
    expect(await refusedStatus(wsUrl(srv.url, '/ws/not-a-key/extra'))).toBe(404);
    // A bare /ws is the rooms endpoint and /ws/{anything but a key} the chat-app event socket
    // (docs/websockets.md), which in strict mode wants an ID token.
    expect(await refusedStatus(wsUrl(srv.url, '/ws/not-a-key'))).toBe(401);
  });
});

describe('client frames', () => {
  test('the text ping is ignored; other text and binary frames get an UNSUPPORTED_FRAME error and the socket stays open', async () => {
    const bob = srv.client();
    const ws = await connect(wsUrl(srv.url, `/ws/${bob.address}?token=${await bob.authenticate()}`));
    const frames = collectFrames(ws);
    ws.send('ping');
    ws.send(' PING ');
    await sleep(200);
    expect(frames).toEqual([]);
    ws.send('hello');
    ws.send(Buffer.from([1, 2, 3]));
    ws.send('ping');
    await eventually(() => frames.length === 2);
    await sleep(150);
    expect(frames).toEqual([
      { type: 'error', error_code: 'UNSUPPORTED_FRAME', detail: expect.any(String) },
      { type: 'error', error_code: 'UNSUPPORTED_FRAME', detail: expect.any(String) },
    ]);
    // Still a working push socket.
    const sent = await srv.client().send(bob.address, 'still pushed');
    await eventually(() => frames.length === 3);
    expect(frames[2]).toMatchObject({ id: sent.id });
  });

  test('a frame over the 4 KiB client frame limit closes the socket with 1009', async () => {
    const bob = srv.client();
    const ws = await connect(wsUrl(srv.url, `/ws/${bob.address}?token=${await bob.authenticate()}`));
    const code = closed(ws);
    ws.send('x'.repeat(8192));
    expect(await code).toBe(1009);
  });
});

describe('per-address connection cap', () => {
  let capped: RunningServer;
  beforeAll(async () => {
    capped = await startServer({ max_websocket_connections_per_ip: 2 });
  });
  afterAll(() => capped.stop());

  test('a third socket from one address is refused with 429 until one closes', async () => {
    const bob = capped.client();
    const url = wsUrl(capped.url, `/ws/${bob.address}?token=${await bob.authenticate()}`);
    const first = await connect(url);
    await connect(url);
    expect(await refusedStatus(url)).toBe(429);
    const code = closed(first);
    first.close(1000);
    await code;
    await eventually(async () => (await statusFigure(capped, 'websocket_connections.whispr')) === 1);
    const third = await connect(url);
    expect(third.readyState).toBe(third.OPEN);
  });

  test('refused upgrades (bad auth) do not use up the address budget', async () => {
    for (const ws of open.splice(0)) ws.terminate();
    await eventually(async () => (await statusFigure(capped, 'websocket_connections.whispr')) === 0);
    const bob = capped.client();
    for (let i = 0; i < 5; i++) expect(await refusedStatus(wsUrl(capped.url, `/ws/${bob.address}`))).toBe(401);
    const url = wsUrl(capped.url, `/ws/${bob.address}?token=${await bob.authenticate()}`);
    await connect(url);
    await connect(url);
  });
});
