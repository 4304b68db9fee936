/**
 * Room impersonation: a stranger who joins a room under a user id a live connection already holds
 * there gets USER_ID_TAKEN and is not in the room, so cannot type, react or leave as that user;
 * the holder and the other members carry on. On two nodes (bus=redis) the same holds across
 * nodes. The id is free again once its holder is gone: after a close at once, after a connection
 * that went silent (half-open) within two heartbeats.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { eventually } from '../support/eventually.js';
import { requireRedis } from '../support/services.js';
import { startServer, type RunningServer } from '../support/test-server.js';
import { deleteKeys, startNodes } from '../rooms/cluster-helpers.js';
import { connectRoom, type RoomClient } from '../rooms/room-helpers.js';

const redisAvailable = await requireRedis('test/abuse/room-impersonation.test.ts');
const open: RoomClient[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.ws.terminate();
});

async function client(srv: RunningServer, options = {}): Promise<RoomClient> {
  const c = await connectRoom(srv, '/rooms', options);
  open.push(c);
  return c;
}

const join = (roomId: string, userId: string) => ({ type: 'join', payload: { roomId, userId, username: `${userId} name` } });

describe('one server (strict, defaults)', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer();
  });
  afterAll(() => srv.stop());

  test('a second connection cannot join as a held id, nor type or leave as it; the holder and the bystander are served', async () => {
    const [alice, bob, mallory] = [await client(srv), await client(srv), await client(srv)];
    await alice.join('lobby', 'alice');
    await bob.join('lobby', 'bob');
    await alice.next('userJoined');

    expect(await mallory.errorFor(join('lobby', 'alice'))).toBe('USER_ID_TAKEN');
    expect(await mallory.errorFor({ type: 'typing', payload: { isTyping: true } })).toBe('NOT_IN_ROOM');
    mallory.send({ type: 'leave' });
    await mallory.sync();

    alice.send({ type: 'typing', payload: { isTyping: true } });
    expect(await bob.next('userTyping')).toMatchObject({ payload: { userId: 'alice', isTyping: true } });
    await Promise.all([alice.sync(), bob.sync()]);
    expect(bob.unread()).toEqual([]); // no userJoined, userTyping or userLeft from mallory as alice
    expect(alice.unread()).toEqual([]);

    // Not a violation: mallory is not blocked and may join under an id of her own.
    expect((await mallory.join('lobby', 'mallory')).map((u) => u.id)).toEqual(['alice', 'bob']);
  });

  test('after its holder closes, the id is free at once (a reconnect is not locked out)', async () => {
    const [first, bob] = [await client(srv), await client(srv)];
    await first.join('reconnect', 'carol');
    await bob.join('reconnect', 'bob');
    first.close();
    await bob.next('userLeft');
    const again = await client(srv);
    expect((await again.join('reconnect', 'carol')).map((u) => u.id)).toEqual(['bob']);
  });
});

describe('a half-open holder (no pongs) frees the id within two heartbeats', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer({ heartbeat_interval_seconds: 0.2 });
  });
  afterAll(() => srv.stop());

  test('the ghost is terminated by the heartbeat; then the reconnect gets the id', async () => {
    const ghost = await client(srv, { autoPong: false });
    await ghost.join('ghosts', 'dave');
    const reconnect = await client(srv);
    expect(await reconnect.errorFor(join('ghosts', 'dave'))).toBe('USER_ID_TAKEN');
    await ghost.closed();
    await eventually(async () => {
      reconnect.send(join('ghosts', 'dave'));
      return (await reconnect.next()).type === 'userList';
    });
  });
});

describe.runIf(redisAvailable)('two nodes (bus=redis)', () => {
  let a: RunningServer;
  let b: RunningServer;
  let prefix: string;
  beforeAll(async () => {
    ({
      prefix,
      nodes: [a, b],
    } = await startNodes());
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await deleteKeys(prefix);
  });

  test('an id held on one node is refused on the other; free there once its holder has left', async () => {
    const [alice, bob, mallory] = [await client(a), await client(b), await client(b)];
    await alice.join('cross', 'alice');
    await bob.join('cross', 'bob');
    await alice.next('userJoined');
    expect(await mallory.errorFor(join('cross', 'alice'))).toBe('USER_ID_TAKEN');
    alice.send({ type: 'typing', payload: { isTyping: true } });
    expect(await bob.next('userTyping')).toMatchObject({ payload: { userId: 'alice' } });
    // The holder itself may join again (its own place is given up first).
    expect((await alice.join('cross', 'alice')).map((u) => u.id)).toEqual(['bob']);

    alice.close();
    await bob.next('userLeft');
    // The leave reaches Redis from node A; a join on node B sees it after that round trip.
    const again = await client(b);
    await eventually(async () => {
      again.send(join('cross', 'alice'));
      return (await again.next()).type === 'userList';
    });
  });
});
