/** Rooms across two nodes (two servers on one Redis): presence, fan-out, ROOM_FULL and health, cluster-wide. */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { eventually } from '../support/eventually.js';
import { REDIS_URL, requireRedis } from '../support/services.js';
import type { RunningServer } from '../support/test-server.js';
import { CIPHERTEXT, connectRoom, type RoomClient, roomHealth } from './room-helpers.js';
import { deleteKeys, startNodes } from './cluster-helpers.js';

const available = await requireRedis('test/rooms/cluster.test.ts');

describe.runIf(available)('rooms on two nodes', () => {
  let a: RunningServer;
  let b: RunningServer;
  let prefix: string;
  const open: RoomClient[] = [];
  beforeAll(async () => {
    ({
      prefix,
      nodes: [a, b],
    } = await startNodes({ rooms_max_users_per_room: 3, rooms_violations_before_block: 1_000 }));
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.ws.terminate();
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await deleteKeys(prefix);
  });

  async function client(srv: RunningServer): Promise<RoomClient> {
    const c = await connectRoom(srv);
    open.push(c);
    return c;
  }

  let serial = 0;
  const freshRoom = () => `cluster-${++serial}`;

  /** Waits until the shared roster has forgotten `room` (its last member's leave reached Redis). */
  async function rosterGone(room: string): Promise<void> {
    const redis = new Redis(REDIS_URL);
    try {
      await eventually(async () => (await redis.exists(`${prefix}roster:group:room:${room}`)) === 0);
    } finally {
      redis.disconnect();
    }
  }

  /**
   * One client per [node, userId], joined to `room` in that order (username `<id> name`); checks that
   * each one hears the userJoined of every later one. Returns the clients and their userLists.
   */
  async function joinAll<const T extends ReadonlyArray<readonly [RunningServer, string]>>(
    room: string,
    members: T,
  ): Promise<{ clients: { [K in keyof T]: RoomClient }; lists: unknown[][] }> {
    const clients: RoomClient[] = [];
    const lists: unknown[][] = [];
    for (const [srv, id] of members) {
      const c = await client(srv);
      lists.push(await c.join(room, id));
      clients.push(c);
    }
    for (const [i, c] of clients.entries()) {
      for (const [, id] of members.slice(i + 1)) expect(await c.next()).toEqual({ type: 'userJoined', payload: { userId: id, username: `${id} name` } });
    }
    return { clients: clients as { [K in keyof T]: RoomClient }, lists };
  }

  test('userList lists the members of both nodes in join order; userJoined reaches the other node', async () => {
    const { clients, lists } = await joinAll(freshRoom(), [
      [a, 'alice'],
      [b, 'bob'],
      [a, 'carol'],
    ]);
    const listed = (id: string) => ({ id, name: `${id} name`, avatar: null });
    expect(lists).toEqual([[], [listed('alice')], [listed('alice'), listed('bob')]]);
    await Promise.all(clients.map((c) => c.sync()));
    expect(clients.flatMap((c) => c.unread())).toEqual([]);
  });

  test('a message reaches every other member exactly once, on both nodes, with one id; typing and reactions cross too', async () => {
    const [alice, bob, carol] = (
      await joinAll(freshRoom(), [
        [a, 'alice'],
        [b, 'bob'],
        [b, 'carol'],
      ])
    ).clients;

    alice.send({ type: 'message', payload: { encrypted: CIPHERTEXT } });
    const atBob = await bob.next();
    expect(atBob).toMatchObject({ type: 'message', payload: CIPHERTEXT });
    expect(await carol.next()).toEqual(atBob);
    bob.send({ type: 'typing', payload: { isTyping: true } });
    expect(await alice.next()).toEqual({ type: 'userTyping', payload: { userId: 'bob', isTyping: true } });
    expect(await carol.next()).toEqual({ type: 'userTyping', payload: { userId: 'bob', isTyping: true } });
    carol.send({ type: 'reaction', payload: { messageId: atBob.id, emoji: '👍' } });
    const reaction = { type: 'reaction', messageId: atBob.id, user: { id: 'carol', name: 'carol name', avatar: null }, emoji: '👍', action: 'add' };
    for (const c of [alice, bob, carol]) expect(await c.next()).toEqual(reaction);

    // Nothing twice, no echo. A node's frames reach another in the order it sent them, so once a
    // later frame from each node has arrived everywhere, any duplicate would have arrived before it.
    const last = 'AAAA.AAAA';
    alice.send({ type: 'message', payload: { encrypted: last } });
    for (const c of [bob, carol]) expect(await c.next()).toMatchObject({ type: 'message', payload: last });
    carol.send({ type: 'typing', payload: { isTyping: false } });
    for (const c of [alice, bob]) expect(await c.next()).toEqual({ type: 'userTyping', payload: { userId: 'carol', isTyping: false } });
    await Promise.all([alice.sync(), bob.sync(), carol.sync()]);
    expect([...alice.unread(), ...bob.unread(), ...carol.unread()]).toEqual([]);
  });

  test('leave and disconnect on one node are userLeft on the other', async () => {
    const room = freshRoom();
    const [alice, bob, carol] = (
      await joinAll(room, [
        [a, 'alice'],
        [b, 'bob'],
        [b, 'carol'],
      ])
    ).clients;
    bob.send({ type: 'leave' });
    expect(await alice.next()).toEqual({ type: 'userLeft', payload: { userId: 'bob' } });
    expect(await carol.next('userLeft')).toEqual({ type: 'userLeft', payload: { userId: 'bob' } });
    carol.ws.terminate();
    expect(await alice.next()).toEqual({ type: 'userLeft', payload: { userId: 'carol' } });
    alice.ws.terminate();
    // The last member gone, the room is gone from the shared roster too: a newcomer finds it empty.
    await rosterGone(room);
    const dave = await client(b);
    expect(await dave.join(room, 'dave')).toEqual([]);
  });

  test('ROOM_FULL counts the members of both nodes; a place freed on one node is taken on the other', async () => {
    const room = freshRoom();
    const [m1, m2] = (
      await joinAll(room, [
        [a, 'm1'],
        [b, 'm2'],
        [a, 'm3'],
      ])
    ).clients;
    const [late1, late2] = [await client(a), await client(b)];
    expect(await late1.errorFor({ type: 'join', payload: { roomId: room, userId: 'late1', username: 'Late' } })).toBe('ROOM_FULL');
    expect(await late2.errorFor({ type: 'join', payload: { roomId: room, userId: 'late2', username: 'Late' } })).toBe('ROOM_FULL');
    m1.send({ type: 'leave' });
    await m2.next('userLeft');
    expect((await late2.join(room, 'late2')).map((u) => u.id)).toEqual(['m2', 'm3']);
  });

  test('health counts each node its own members', async () => {
    const [baseA, baseB] = [(await roomHealth(a)).total_users, (await roomHealth(b)).total_users];
    await joinAll(freshRoom(), [
      [a, 'x'],
      [b, 'y'],
      [b, 'z'],
    ]);
    expect((await roomHealth(a)).total_users - baseA).toBe(1);
    expect((await roomHealth(b)).total_users - baseB).toBe(2);
  });

  test('the roster lives under the deployment prefix and is gone with its last member', async () => {
    const redis = new Redis(REDIS_URL);
    const room = freshRoom();
    try {
      const [x, y] = (
        await joinAll(room, [
          [a, 'x'],
          [b, 'y'],
        ])
      ).clients;
      expect(await redis.hlen(`${prefix}roster:group:room:${room}`)).toBe(3); // two members and the arrival counter
      x.send({ type: 'leave' });
      y.send({ type: 'leave' });
    } finally {
      redis.disconnect();
    }
    await rosterGone(room);
  });
});
