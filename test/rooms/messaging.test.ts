/** Rooms: encrypted message relay, typing, reactions, ping, and what a connection outside a room may do. */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { startServer, type RunningServer } from '../support/test-server.js';
import { CIPHERTEXT, connectRoom, type RoomClient } from './room-helpers.js';

let srv: RunningServer;
const open: RoomClient[] = [];
beforeAll(async () => {
  // Many deliberate errors below: the address must not get blocked (protection.test.ts covers that).
  srv = await startServer({ rooms_violations_before_block: 1_000 });
});
afterEach(() => {
  for (const c of open.splice(0)) c.ws.terminate();
});
afterAll(async () => {
  await srv.stop();
});

let roomSerial = 0;

/** Three connections joined to a fresh room as alice, bob and carol, presence frames consumed. */
async function trio(): Promise<[RoomClient, RoomClient, RoomClient]> {
  const room = `chat-${++roomSerial}`;
  const clients = [await connectRoom(srv), await connectRoom(srv), await connectRoom(srv)] as const;
  open.push(...clients);
  const [alice, bob, carol] = clients;
  await alice.join(room, 'alice', 'Alice');
  await bob.join(room, 'bob', 'Bob');
  await carol.join(room, 'carol', 'Carol');
  await alice.next('userJoined');
  await alice.next('userJoined');
  await bob.next('userJoined');
  return [alice, bob, carol];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('message', () => {
  test('is relayed to the others only, with a server id, an ISO timestamp and the same encrypted string', async () => {
    const [alice, bob, carol] = await trio();
    const encrypted = 'q83vEjRWeJA=.3q2+7w/+AAE=';
    const before = Date.now();
    alice.send({ type: 'message', payload: { encrypted }, id: 'client-chosen', timestamp: 'ignored' });
    const atBob = await bob.next();
    const atCarol = await carol.next();
    expect(atBob).toEqual({ type: 'message', payload: encrypted, id: expect.stringMatching(UUID), timestamp: expect.any(String) });
    // One relay, one frame: every recipient sees the same id and timestamp.
    expect(atCarol).toEqual(atBob);
    const timestamp = atBob.timestamp as string;
    expect(new Date(timestamp).toISOString()).toBe(timestamp);
    expect(Date.parse(timestamp)).toBeGreaterThanOrEqual(before - 5);
    expect(Date.parse(timestamp)).toBeLessThanOrEqual(Date.now() + 5);
    // No echo to the sender.
    await alice.sync();
    expect(alice.unread()).toEqual([]);
  });

  test('every message gets its own id, and order is kept', async () => {
    const [alice, bob] = await trio();
    const sent = ['AA==.AA==', 'AQ==.AQ==', 'Ag==.Ag==', 'AAAA.AAAA', 'AAE=.AAE='];
    for (const encrypted of sent) alice.send({ type: 'message', payload: { encrypted } });
    const got = [];
    for (let i = 0; i < sent.length; i++) got.push(await bob.next('message'));
    expect(got.map((m) => m.payload)).toEqual(sent);
    expect(new Set(got.map((m) => m.id)).size).toBe(sent.length);
  });

  test('extra payload fields (Node dialect) are accepted and not relayed', async () => {
    const [alice, bob] = await trio();
    alice.send({ type: 'message', payload: { encrypted: CIPHERTEXT, roomId: 'x', userId: 'mallory', extra: { a: 1 } } });
    const frame = await bob.next();
    expect(frame).toMatchObject({ type: 'message', payload: CIPHERTEXT });
    expect(Object.keys(frame).sort()).toEqual(['id', 'payload', 'timestamp', 'type']);
  });
});

describe('typing', () => {
  test('userTyping {userId, isTyping} goes to the others', async () => {
    const [alice, bob, carol] = await trio();
    alice.send({ type: 'typing', payload: { isTyping: true } });
    expect(await bob.next()).toEqual({ type: 'userTyping', payload: { userId: 'alice', isTyping: true } });
    expect(await carol.next()).toEqual({ type: 'userTyping', payload: { userId: 'alice', isTyping: true } });
    alice.send({ type: 'typing', payload: { isTyping: false } });
    expect(await bob.next()).toEqual({ type: 'userTyping', payload: { userId: 'alice', isTyping: false } });
    await alice.sync();
    expect(alice.unread()).toEqual([]);
  });

  test('the Node variant (roomId, userId, username in the payload) is accepted; the userId comes from the join', async () => {
    const [alice, bob] = await trio();
    bob.send({ type: 'typing', payload: { isTyping: true, roomId: 'another-room', userId: 'mallory', username: 'Mallory' } });
    expect(await alice.next()).toEqual({ type: 'userTyping', payload: { userId: 'bob', isTyping: true } });
  });

  test('isTyping must be a boolean', async () => {
    const [alice] = await trio();
    expect(await alice.errorFor({ type: 'typing', payload: { isTyping: 'yes' } })).toBe('INVALID_MESSAGE');
    expect(await alice.errorFor({ type: 'typing' })).toBe('INVALID_MESSAGE');
  });
});

describe('reaction', () => {
  test('a flat frame goes to everyone, the sender included, with the action', async () => {
    const [alice, bob, carol] = await trio();
    alice.send({ type: 'reaction', payload: { messageId: 'm-1', emoji: '👍', action: 'remove' } });
    const expected = { type: 'reaction', messageId: 'm-1', user: { id: 'alice', name: 'Alice', avatar: null }, emoji: '👍', action: 'remove' };
    expect(await alice.next()).toEqual(expected);
    expect(await bob.next()).toEqual(expected);
    expect(await carol.next()).toEqual(expected);
  });

  test('without action (Rust dialect) it is an add', async () => {
    const [alice, bob] = await trio();
    bob.send({ type: 'reaction', payload: { messageId: '0b7c1c2e-4f6e-4c71-9c55-3f1d2b8a9e10', emoji: '❤️' } });
    const expected = {
      type: 'reaction',
      messageId: '0b7c1c2e-4f6e-4c71-9c55-3f1d2b8a9e10',
      user: { id: 'bob', name: 'Bob', avatar: null },
      emoji: '❤️',
      action: 'add',
    };
    expect(await bob.next()).toEqual(expected);
    expect(await alice.next()).toEqual(expected);
  });

  test('a multi-code-point emoji (ZWJ sequence, flag) is relayed intact', async () => {
    const [alice, bob] = await trio();
    for (const emoji of ['👩‍👩‍👧‍👦', '🇳🇱', '👍🏽']) {
      alice.send({ type: 'reaction', payload: { messageId: 'm', emoji, action: 'add' } });
      expect(await bob.next()).toMatchObject({ type: 'reaction', emoji });
    }
  });

  test('bad reactions are INVALID_MESSAGE', async () => {
    const [alice] = await trio();
    for (const payload of [
      { emoji: '👍' },
      { messageId: '', emoji: '👍' },
      { messageId: 'm'.repeat(129), emoji: '👍' },
      { messageId: 'm' },
      { messageId: 'm', emoji: '' },
      { messageId: 'm', emoji: 'x'.repeat(33) },
      { messageId: 'm', emoji: '👍', action: 'toggle' },
      { messageId: 7, emoji: '👍' },
    ]) {
      expect(await alice.errorFor({ type: 'reaction', payload }), JSON.stringify(payload)).toBe('INVALID_MESSAGE');
    }
  });
});

test('ping gets pong, in a room or not; extra keys are tolerated', async () => {
  const lonely = await connectRoom(srv);
  open.push(lonely);
  lonely.send({ type: 'ping' });
  expect(await lonely.next()).toEqual({ type: 'pong' });
  lonely.send({ type: 'ping', payload: { t: 1 } });
  expect(await lonely.next()).toEqual({ type: 'pong' });
  const [alice, bob] = await trio();
  alice.send({ type: 'ping' });
  expect(await alice.next()).toEqual({ type: 'pong' });
  await bob.sync();
  expect(bob.unread()).toEqual([]);
});

test('message, typing and reaction before a join (or after a leave) get NOT_IN_ROOM', async () => {
  const c = await connectRoom(srv);
  open.push(c);
  expect(await c.errorFor({ type: 'message', payload: { encrypted: CIPHERTEXT } })).toBe('NOT_IN_ROOM');
  expect(await c.errorFor({ type: 'typing', payload: { isTyping: true } })).toBe('NOT_IN_ROOM');
  expect(await c.errorFor({ type: 'reaction', payload: { messageId: 'm', emoji: '👍' } })).toBe('NOT_IN_ROOM');

  await c.join('was-here', 'me');
  c.send({ type: 'leave' });
  expect(await c.errorFor({ type: 'message', payload: { encrypted: CIPHERTEXT } })).toBe('NOT_IN_ROOM');
  // The socket stays usable.
  expect(await c.join('was-here', 'me')).toEqual([]);
});
