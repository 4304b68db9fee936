/** Rooms: every error code, the frame size limits and the per-connection rate limits. */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { startServer, type RunningServer } from '../support/test-server.js';
import { CIPHERTEXT, connectRoom, type RoomClient, roomCounters } from './room-helpers.js';

const MAX = 256;
let srv: RunningServer;
const open: RoomClient[] = [];
beforeAll(async () => {
  srv = await startServer({
    rooms_max_message_size: MAX,
    rooms_max_users_per_room: 2,
    rooms_message_limit: 5,
    rooms_join_limit: 3,
    // Deliberate errors galore: blocking is protection.test.ts's business.
    rooms_violations_before_block: 100_000,
  });
});
afterEach(() => {
  for (const c of open.splice(0)) c.ws.terminate();
});
afterAll(async () => {
  await srv.stop();
});

async function client(on = srv): Promise<RoomClient> {
  const c = await connectRoom(on);
  open.push(c);
  return c;
}

/** A ping frame (extra keys are tolerated) of exactly `bytes` UTF-8 bytes, padded with `fill`. */
function pingOf(bytes: number, fill = 'x'): string {
  const base = Buffer.byteLength('{"type":"ping","pad":""}');
  const frame = `{"type":"ping","pad":"${fill.repeat((bytes - base) / Buffer.byteLength(fill))}"}`;
  expect(Buffer.byteLength(frame)).toBe(bytes);
  return frame;
}

const join = (roomId: unknown, userId: unknown, username: unknown) => ({ type: 'join', payload: { roomId, userId, username } });

describe('join validation', () => {
  test('INVALID_ROOM_ID', async () => {
    const c = await client();
    for (const roomId of ['', 'r'.repeat(65), 'has space', 'a/b', 'dot.ted', 'ümlaut', '<script>', 42, null, undefined]) {
      expect(await c.errorFor(join(roomId, 'u', 'U')), String(roomId)).toBe('INVALID_ROOM_ID');
    }
    expect(await c.errorFor({ type: 'join' })).toBe('INVALID_ROOM_ID');
    // The room is checked first.
    expect(await c.errorFor(join('bad room', 'bad user', ''))).toBe('INVALID_ROOM_ID');
    expect(await c.join('r'.repeat(64), 'u')).toEqual([]);
    expect(await c.join('A-z_09', 'u')).toEqual([]);
  });

  test('INVALID_USER_ID', async () => {
    const c = await client();
    for (const userId of ['', 'u'.repeat(65), 'has space', 'é', 'a@b', 7, undefined]) {
      expect(await c.errorFor(join('room', userId, 'Name')), String(userId)).toBe('INVALID_USER_ID');
    }
    expect(await c.join('room-uid', 'u'.repeat(64), 'Name')).toEqual([]);
  });

  test('INVALID_USERNAME', async () => {
    const c = await client();
    for (const username of ['', 'n'.repeat(33), 'Zoë', 'a<b>', 'semi;colon', '😀', false, undefined]) {
      expect(await c.errorFor(join('room', 'user', username)), String(username)).toBe('INVALID_USERNAME');
    }
    expect(await c.join('room-name', 'user', 'Spaces and-dashes_ok')).toEqual([]);
  });

  test('an invalid join leaves the connection where it was', async () => {
    const [a, b] = [await client(), await client()];
    await a.join('stay', 'a');
    await b.join('stay', 'b');
    expect(await b.errorFor(join('elsewhere', 'b', 'Bad<name>'))).toBe('INVALID_USERNAME');
    b.send({ type: 'message', payload: { encrypted: CIPHERTEXT } });
    expect(await a.next('message')).toMatchObject({ payload: CIPHERTEXT });
  });
});

describe('INVALID_MESSAGE', () => {
  const cases: Array<[string, string]> = [
    ['bad JSON', '{"type":"ping"'],
    ['not JSON at all', 'ping'],
    ['empty frame', ''],
    ['JSON array', '[{"type":"ping"}]'],
    ['JSON string', '"ping"'],
    ['JSON number', '42'],
    ['JSON null', 'null'],
    ['no type', '{}'],
    ['unknown type', '{"type":"fileTransfer","payload":{}}'],
    ['type in the wrong case', '{"type":"PING"}'],
    ['type not a string', '{"type":1}'],
    ['message without payload', '{"type":"message"}'],
    ['message with a string payload', `{"type":"message","payload":"${CIPHERTEXT}"}`],
    ['encrypted not a string', '{"type":"message","payload":{"encrypted":42}}'],
    ['encrypted without a dot', '{"type":"message","payload":{"encrypted":"SGVsbG8gV29ybGQ="}}'],
    ['encrypted with two dots', '{"type":"message","payload":{"encrypted":"AAAA.AAAA.AAAA"}}'],
    ['encrypted with an empty part', '{"type":"message","payload":{"encrypted":".AAAA"}}'],
    ['encrypted with an empty second part', '{"type":"message","payload":{"encrypted":"AAAA."}}'],
    ['base64 without its padding', '{"type":"message","payload":{"encrypted":"SGVsbG8.V29ybGQ="}}'],
    ['base64 with too much padding', '{"type":"message","payload":{"encrypted":"SGVsbG8==.V29ybGQ="}}'],
    ['base64 with non-zero trailing bits', '{"type":"message","payload":{"encrypted":"SGVsbG9=.V29ybGQ="}}'],
    ['base64 with non-zero trailing bits (==)', '{"type":"message","payload":{"encrypted":"AAAA.AB=="}}'],
    ['URL-safe base64', '{"type":"message","payload":{"encrypted":"-_-_.AAAA"}}'],
    ['base64 with a space', '{"type":"message","payload":{"encrypted":"AA AA.AAAA"}}'],
    ['lone surrogate emoji in the raw text', '{"type":"reaction","payload":{"messageId":"m","emoji":"\\ud83d"}}'],
    ['lone low surrogate after a full emoji', '{"type":"reaction","payload":{"messageId":"m","emoji":"\\ud83d\\udc4d\\udc4d"}}'],
    ['lone surrogate in the message id', '{"type":"reaction","payload":{"messageId":"m\\udc00","emoji":"x"}}'],
  ];

  test.each(cases)('%s', async (_name, frame) => {
    const c = await client();
    await c.join(`invalid-${Math.random().toString(36).slice(2)}`, 'u');
    expect(await c.errorFor(frame)).toBe('INVALID_MESSAGE');
    // The error is all: the socket stays open and usable.
    await c.sync();
  });

  test('a binary frame is INVALID_MESSAGE, even one holding valid JSON', async () => {
    const c = await client();
    c.ws.send(Buffer.from('{"type":"ping"}'), { binary: true });
    expect(await c.error()).toBe('INVALID_MESSAGE');
    c.ws.send(Buffer.from([0, 1, 2, 255]), { binary: true });
    expect(await c.error()).toBe('INVALID_MESSAGE');
    await c.sync();
  });

  test('the rooms counters (admin status, /metrics) count invalid frames', async () => {
    const before = (await roomCounters(srv)).invalid_frames!;
    const c = await client();
    expect(await c.errorFor('nope')).toBe('INVALID_MESSAGE');
    expect(await c.errorFor(join('bad room', 'u', 'U'))).toBe('INVALID_ROOM_ID');
    expect((await roomCounters(srv)).invalid_frames).toBe(before + 2);
  });
});

describe('frame size', () => {
  test(`a frame of exactly ${MAX} bytes is accepted; one byte more is MESSAGE_TOO_LARGE and the socket stays open`, async () => {
    const c = await client();
    c.send(pingOf(MAX));
    expect(await c.next()).toEqual({ type: 'pong' });
    expect(await c.errorFor(pingOf(MAX + 1))).toBe('MESSAGE_TOO_LARGE');
    await c.sync();
  });

  test('an oversize message is not relayed', async () => {
    const [a, b] = [await client(), await client()];
    await a.join('big', 'a');
    await b.join('big', 'b');
    await a.next('userJoined');
    expect(await a.errorFor({ type: 'message', payload: { encrypted: `${'A'.repeat(MAX)}.AAAA` } })).toBe('MESSAGE_TOO_LARGE');
    await b.sync();
    expect(b.unread()).toEqual([]);
  });

  test('the limit is in bytes: multi-byte text over it is MESSAGE_TOO_LARGE', async () => {
    const c = await client();
    // 2-byte characters: fewer characters than MAX, more bytes.
    const frame = pingOf(MAX + 2, 'é');
    expect(frame.length).toBeLessThan(MAX);
    expect(await c.errorFor(frame)).toBe('MESSAGE_TOO_LARGE');
    c.send(pingOf(MAX, 'é'));
    expect(await c.next()).toEqual({ type: 'pong' });
  });

  test(`up to 4x the limit is an error frame; beyond it the socket is closed 1009`, async () => {
    const c = await client();
    expect(await c.errorFor(pingOf(4 * MAX))).toBe('MESSAGE_TOO_LARGE');
    await c.sync();
    const code = c.closed();
    c.send(pingOf(4 * MAX + 1));
    expect(await code).toBe(1009);
  });
});

describe('rate limits', () => {
  test('messages, typing and reactions share a per-connection budget: RATE_LIMITED past it, nothing relayed', async () => {
    const before = (await roomCounters(srv)).rate_limited!;
    const [a, b] = [await client(), await client()];
    await a.join('busy', 'a');
    await b.join('busy', 'b');
    await a.next('userJoined');
    for (let i = 0; i < 3; i++) a.send({ type: 'message', payload: { encrypted: CIPHERTEXT } });
    a.send({ type: 'typing', payload: { isTyping: true } });
    a.send({ type: 'reaction', payload: { messageId: 'm', emoji: '👍' } });
    expect(await a.next('reaction')).toMatchObject({ messageId: 'm' });
    expect(await a.errorFor({ type: 'message', payload: { encrypted: CIPHERTEXT } })).toBe('RATE_LIMITED');
    expect(await a.errorFor({ type: 'typing', payload: { isTyping: false } })).toBe('RATE_LIMITED');
    // b got exactly the five allowed frames.
    await b.next('reaction');
    expect(b.frames.filter((f) => f.type === 'message')).toHaveLength(3);
    expect(b.frames.filter((f) => f.type === 'userTyping')).toHaveLength(1);
    // The budget is per connection: b still has all of its own.
    b.send({ type: 'message', payload: { encrypted: CIPHERTEXT } });
    expect(await a.next('message')).toMatchObject({ payload: CIPHERTEXT });
    expect((await roomCounters(srv)).rate_limited).toBeGreaterThanOrEqual(before + 2);
    // Still connected, still in the room.
    expect(a.ws.readyState).toBe(a.ws.OPEN);
  });

  test('the error message says which limit', async () => {
    const c = await client();
    await c.join('msgs', 'c');
    for (let i = 0; i < 5; i++) c.send({ type: 'typing', payload: { isTyping: true } });
    c.send({ type: 'typing', payload: { isTyping: true } });
    expect(await c.next()).toEqual({ type: 'error', code: 'RATE_LIMITED', message: 'Message rate limit exceeded' });
  });

  test('joins: RATE_LIMITED past the join budget, and the connection stays in its room', async () => {
    const [a, b] = [await client(), await client()];
    await b.join('j-3', 'b');
    await a.join('j-1', 'a');
    await a.join('j-2', 'a');
    await a.join('j-3', 'a');
    a.send(join('j-4', 'a', 'A'));
    expect(await a.next()).toEqual({ type: 'error', code: 'RATE_LIMITED', message: 'Join rate limit exceeded' });
    // Refused before leaving: a is still in j-3 with b.
    a.send({ type: 'message', payload: { encrypted: CIPHERTEXT } });
    expect(await b.next('message')).toMatchObject({ payload: CIPHERTEXT });
  });

  test('ENABLE_RATE_LIMITING off (rooms_rate_limiting: false): no RATE_LIMITED however much is sent', async () => {
    const free = await startServer({ rooms_rate_limiting: false, rooms_message_limit: 1, rooms_join_limit: 1 });
    try {
      const [a, b] = [await client(free), await client(free)];
      for (let i = 0; i < 5; i++) await a.join(`free-${i}`, 'a');
      await a.join('free', 'a');
      await b.join('free', 'b');
      for (let i = 0; i < 50; i++) a.send({ type: 'message', payload: { encrypted: CIPHERTEXT } });
      await a.sync();
      for (let i = 0; i < 50; i++) await b.next('message');
      expect([...a.frames, ...b.frames].filter((f) => f.type === 'error')).toEqual([]);
      expect((await roomCounters(free)).rate_limited).toBe(0);
    } finally {
      await free.stop();
    }
  });
});

describe('ROOM_FULL', () => {
  test('a third joiner of a room of 2 gets ROOM_FULL; the members hear nothing; a freed place can be taken', async () => {
    const [a, b, c] = [await client(), await client(), await client()];
    await a.join('pair', 'a');
    await b.join('pair', 'b');
    await a.next('userJoined');
    expect(await c.errorFor(join('pair', 'c', 'C'))).toBe('ROOM_FULL');
    await Promise.all([a.sync(), b.sync()]);
    expect([...a.unread(), ...b.unread()]).toEqual([]);
    expect(await c.errorFor({ type: 'message', payload: { encrypted: CIPHERTEXT } })).toBe('NOT_IN_ROOM');

    b.send({ type: 'leave' });
    await a.next('userLeft');
    expect(await c.join('pair', 'c', 'C')).toEqual([{ id: 'a', name: 'a name', avatar: null }]);
  });

  test('a member refused by a full room stays in its own room, and the refusal is no violation', async () => {
    const [a, b, c, d] = [await client(), await client(), await client(), await client()];
    await a.join('full', 'a');
    await b.join('full', 'b');
    await c.join('home', 'c');
    await d.join('home', 'd');
    await c.next('userJoined');
    const before = (await roomCounters(srv)).violations;
    expect(await d.errorFor(join('full', 'd', 'D'))).toBe('ROOM_FULL');
    await c.sync();
    expect(c.unread()).toEqual([]);
    d.send({ type: 'message', payload: { encrypted: CIPHERTEXT } });
    expect((await c.next('message')).payload).toBe(CIPHERTEXT);
    expect((await roomCounters(srv)).violations).toBe(before);
  });
});
