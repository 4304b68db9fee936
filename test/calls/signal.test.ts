/** WS /signal with real WebSocket clients: relaying, membership, call_id checks, limits, timeouts and strict-mode tokens. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { eventually, startServer, type RunningServer } from '../support/test-server.js';
import { closed, refusedStatus, wsUrl } from '../relay/helpers.js';
import { statusFigures } from '../support/server-status.js';
import { errorFrame, isError, isType, signalPeers, type Peer } from './signal-peer.js';

const peer = signalPeers();

type CallStats = Record<
  'active_calls' | 'signal_rooms' | 'participants' | 'calls_opened' | 'calls_timed_out' | 'signals_relayed' | 'refused' | 'max_concurrent_calls',
  number
>;

/** The `calls` section of the server's status (in /metrics: /health does not tell who is in a call). */
async function callStats(srv: RunningServer): Promise<CallStats> {
  const figures = Object.entries(await statusFigures(srv)).filter(([field]) => field.startsWith('calls.'));
  return Object.fromEntries(figures.map(([field, n]) => [field.slice('calls.'.length), n])) as CallStats;
}

/** Two sockets in `callId`: `a` joined first and saw `b`'s peer-join. */
async function pair(srv: RunningServer, callId: string, token?: string): Promise<[Peer, Peer]> {
  const a = await peer(srv, token);
  const b = await peer(srv, token);
  await a.join(callId);
  b.send({ type: 'join', call_id: callId });
  await a.next(isType('peer-join'));
  return [a, b];
}

/** Round trip a->b: once b has the marker, anything the server sent b earlier has arrived too. */
async function barrier(a: Peer, b: Peer, callId: string): Promise<void> {
  const marker = `barrier-${Math.random()}`;
  a.send({ type: 'signal', call_id: callId, payload: marker });
  await b.next((f) => f.payload === marker);
}

describe('strict mode (default)', () => {
  let srv: RunningServer;
  let token: string;
  beforeAll(async () => {
    srv = await startServer();
    token = await srv.client().authenticate('x25519');
  });
  afterAll(async () => srv.stop());

  test('two clients exchange offer, answer and ICE candidates; payloads arrive verbatim and the sender gets no echo', async () => {
    const before = await callStats(srv);
    const [caller, callee] = await pair(srv, 'call-1', token);
    const offer = { enc: 'c2VhbGVk', sdp: { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' }, meta: { nested: [1, { deep: null }], flag: true } };
    const answer = { sdp: { type: 'answer', sdp: 'v=0\r\n' } };
    const ice = { candidate: { candidate: 'candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host', sdpMid: '0', sdpMLineIndex: 0 } };
    caller.send({ type: 'signal', call_id: 'call-1', payload: offer });
    expect(await callee.next(isType('signal'))).toEqual({ type: 'signal', payload: offer });
    callee.send({ type: 'signal', call_id: 'call-1', payload: answer });
    callee.send({ type: 'signal', call_id: 'call-1', payload: ice });
    await caller.next((f) => f.type === 'signal' && 'candidate' in (f.payload as object));
    caller.send({ type: 'signal', call_id: 'call-1', payload: ice });
    await callee.next((f) => f.type === 'signal' && 'candidate' in (f.payload as object));
    // No call_id and no sender identity in server frames; nobody hears their own signals.
    expect(caller.frames).toEqual([{ type: 'peer-join' }, { type: 'signal', payload: answer }, { type: 'signal', payload: ice }]);
    expect(callee.frames).toEqual([
      { type: 'signal', payload: offer },
      { type: 'signal', payload: ice },
    ]);
    const after = await callStats(srv);
    expect(after.signals_relayed - before.signals_relayed).toBe(4);
    expect(after.signal_rooms).toBe(1);
    expect(after.participants).toBe(2);
    expect(after.max_concurrent_calls).toBe(1000);
  });

  test('leave and disconnect give peer-leave; a room closes when empty', async () => {
    await eventually(async () => (await callStats(srv)).signal_rooms === 0);
    const [a, b] = await pair(srv, 'call-2', token);
    b.send({ type: 'leave', call_id: 'call-2' });
    await a.next(isType('peer-leave'));
    expect((await callStats(srv)).participants).toBe(1);
    b.send({ type: 'join', call_id: 'call-2' });
    await a.next(isType('peer-join'), 2);
    b.ws.terminate();
    await a.next(isType('peer-leave'), 3);
    a.send({ type: 'leave', call_id: 'call-2' });
    await eventually(async () => (await callStats(srv)).signal_rooms === 0);
    expect(a.frames).toEqual([{ type: 'peer-join' }, { type: 'peer-leave' }, { type: 'peer-join' }, { type: 'peer-leave' }]);
  });

  test('a socket that did not join cannot inject into a call; the participants receive nothing', async () => {
    const [a, b] = await pair(srv, 'call-3', token);
    const intruder = await peer(srv, token);
    intruder.send({ type: 'signal', call_id: 'call-3', payload: { sdp: 'forged offer' } });
    expect(await intruder.next(isType('error'))).toEqual(errorFrame('NOT_IN_CALL'));
    intruder.send({ type: 'leave', call_id: 'call-3' });
    expect(await intruder.next(isType('error'), 1)).toEqual(errorFrame('NOT_IN_CALL'));
    await barrier(a, b, 'call-3');
    await barrier(b, a, 'call-3');
    expect(JSON.stringify([a.frames, b.frames])).not.toContain('forged');
    expect(a.frames.filter(isType('signal'))).toHaveLength(1);
    expect(b.frames.filter(isType('signal'))).toHaveLength(1);
  });

  test('a third joiner of a two-party call gets CALL_FULL; a place freed by leave can be taken', async () => {
    const [a, b] = await pair(srv, 'call-4', token);
    const third = await peer(srv, token);
    third.send({ type: 'join', call_id: 'call-4' });
    expect(await third.next(isType('error'))).toEqual(errorFrame('CALL_FULL'));
    third.send({ type: 'signal', call_id: 'call-4', payload: 'x' });
    await third.next(isError('NOT_IN_CALL'));
    await barrier(a, b, 'call-4');
    expect(a.frames).toEqual([{ type: 'peer-join' }]);
    b.send({ type: 'leave', call_id: 'call-4' });
    await a.next(isType('peer-leave'));
    third.send({ type: 'join', call_id: 'call-4' });
    await a.next(isType('peer-join'), 2);
  });

  test('re-joining another call leaves the old one: peer-leave there, and the old call is then NOT_IN_CALL', async () => {
    const [a, b] = await pair(srv, 'old-call', token);
    const c = await peer(srv, token);
    await c.join('new-call');
    a.send({ type: 'join', call_id: 'new-call' });
    await b.next(isType('peer-leave'));
    await c.next(isType('peer-join'));
    a.send({ type: 'signal', call_id: 'old-call', payload: 'stale' });
    await a.next(isError('NOT_IN_CALL'));
    a.send({ type: 'leave', call_id: 'old-call' });
    await a.next(isError('NOT_IN_CALL'), a.frames.findIndex(isError('NOT_IN_CALL')) + 1);
    await barrier(a, c, 'new-call');
    expect(b.frames).toEqual([{ type: 'peer-leave' }]);
  });

  test.each([
    ['absent', {}],
    ['null', { call_id: null }],
    ['an object', { call_id: { id: 'x' } }],
    ['an array', { call_id: ['x'] }],
    ['empty', { call_id: '' }],
    ['too long', { call_id: 'x'.repeat(129) }],
    ['with bad characters', { call_id: 'room 1/../x' }],
    ['a fraction', { call_id: 1.5 }],
  ])('a call_id that is %s gets INVALID_CALL_ID on join, signal and leave', async (_name, field) => {
    const ws = await peer(srv, token);
    ws.send({ type: 'join', ...field });
    ws.send({ type: 'signal', payload: 'p', ...field });
    ws.send({ type: 'leave', ...field });
    await eventually(() => ws.frames.length === 3);
    expect(ws.frames).toEqual(Array(3).fill(errorFrame('INVALID_CALL_ID')));
    expect(ws.ws.readyState).toBe(WebSocket.OPEN);
  });

  test('the longest and the numeric call_id are accepted (a number names the same room as its string)', async () => {
    const a = await peer(srv, token);
    const b = await peer(srv, token);
    a.send({ type: 'join', call_id: 'A-z_0.9:'.repeat(16) });
    await a.join(42);
    b.send({ type: 'join', call_id: '42' });
    await a.next(isType('peer-join'));
    expect(a.frames).toEqual([{ type: 'peer-join' }]);
  });

  test('malformed frames get INVALID_FRAME and the socket stays usable', async () => {
    const [a, b] = await pair(srv, 'call-5', token);
    for (const bad of ['not json', '[1,2]', 'null', '"join"', '{"type":"dance","call_id":"call-5"}', '{"call_id":"call-5"}']) a.send(bad);
    a.send(Buffer.from(JSON.stringify({ type: 'signal', call_id: 'call-5', payload: 'binary' })));
    await eventually(() => a.frames.length === 8);
    expect(a.frames.slice(1)).toEqual(Array(7).fill(errorFrame('INVALID_FRAME')));
    await barrier(a, b, 'call-5');
    expect(b.frames).toEqual([{ type: 'signal', payload: expect.stringMatching(/^barrier-/) }]);
  });

  test('a frame flood closes the socket with 1008 and takes it out of its call', async () => {
    const [a, b] = await pair(srv, 'call-6', token);
    const code = closed(b.ws);
    for (let i = 0; i < 200; i++) b.send({ type: 'leave', call_id: 'call-6-other' });
    expect(await code).toBe(1008);
    await a.next(isType('peer-leave'));
  });

  test('the upgrade needs a valid token: none or garbage is refused with 401; query or header token works', async () => {
    expect(await refusedStatus(wsUrl(srv.url, '/signal'))).toBe(401);
    expect(await refusedStatus(wsUrl(srv.url, '/signal?token=garbage'))).toBe(401);
    expect(await refusedStatus(wsUrl(srv.url, '/signal'), { headers: { authorization: 'Bearer not.a.token' } })).toBe(401);
    const viaHeader = await peer(srv, undefined, { headers: { authorization: `Bearer ${token}` } });
    const viaQuery = await peer(srv, token);
    await viaHeader.join('call-7');
    viaQuery.send({ type: 'join', call_id: 'call-7' });
    await viaHeader.next(isType('peer-join'));
  });
});

describe('compat mode', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer({ security: 'compat' });
  });
  afterAll(async () => srv.stop());

  test('signaling works without a token, with the same membership rules', async () => {
    const [a, b] = await pair(srv, 'compat-call');
    const payload = { enc: 'b64-sealed-sdp' };
    a.send({ type: 'signal', call_id: 'compat-call', payload });
    expect(await b.next(isType('signal'))).toEqual({ type: 'signal', payload });
    const outsider = await peer(srv);
    outsider.send({ type: 'signal', call_id: 'compat-call', payload: 'forged' });
    await outsider.next(isError('NOT_IN_CALL'));
  });
});

describe('max_concurrent_calls', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer({ max_concurrent_calls: 2 });
  });
  afterAll(async () => srv.stop());

  test('a third call is refused with TOO_MANY_CALLS; joining an open call still works; a closed call frees its place', async () => {
    const token = await srv.client().authenticate('x25519');
    const [s1, s2, s3] = await Promise.all([peer(srv, token), peer(srv, token), peer(srv, token)]);
    s1.send({ type: 'join', call_id: 'c1' });
    s2.send({ type: 'join', call_id: 'c2' });
    await eventually(async () => (await callStats(srv)).signal_rooms === 2);
    const refusedBefore = (await callStats(srv)).refused;
    s3.send({ type: 'join', call_id: 'c3' });
    expect(await s3.next(isType('error'))).toEqual(errorFrame('TOO_MANY_CALLS'));
    s3.send({ type: 'join', call_id: 'c1' });
    await s1.next(isType('peer-join'));
    const stats = await callStats(srv);
    expect(stats).toMatchObject({ signal_rooms: 2, active_calls: 2, participants: 3, max_concurrent_calls: 2, refused: refusedBefore + 1 });
    s2.send({ type: 'leave', call_id: 'c2' });
    await eventually(async () => (await callStats(srv)).signal_rooms === 1);
    s3.send({ type: 'join', call_id: 'c3' });
    await s1.next(isType('peer-leave'));
    expect((await callStats(srv)).signal_rooms).toBe(2);
  });
});

describe('call_room_timeout_seconds', () => {
  // Long enough for both joins to be in before it strikes, however loaded the machine.
  const TIMEOUT_SECONDS = 2;
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer({ call_room_timeout_seconds: TIMEOUT_SECONDS });
  });
  afterAll(async () => srv.stop());

  test('participants get CALL_TIMEOUT, the room is gone, and a new join starts a fresh call', async () => {
    const token = await srv.client().authenticate('x25519');
    const started = Date.now();
    const [a, b] = await pair(srv, 'long-call', token);
    expect(await a.next(isType('error'))).toEqual(errorFrame('CALL_TIMEOUT'));
    expect(await b.next(isType('error'))).toEqual(errorFrame('CALL_TIMEOUT'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_SECONDS * 1000 - 50);
    const stats = await callStats(srv);
    expect(stats).toMatchObject({ signal_rooms: 0, participants: 0, calls_timed_out: 1, calls_opened: 1 });
    a.send({ type: 'signal', call_id: 'long-call', payload: 'late' });
    await a.next(isError('NOT_IN_CALL'));
    expect(a.ws.readyState).toBe(WebSocket.OPEN);
    await a.join('long-call');
    b.send({ type: 'join', call_id: 'long-call' });
    await a.next(isType('peer-join'), 1);
    expect((await callStats(srv)).calls_opened).toBe(2);
  });
});
