/**
 * Rooms and /signal calls of two nodes in one process, at the feature level: two RoomRegistry and
 * CallService stacks over one shared bus and roster (the in-process drivers, and Redis), and what
 * the others hear when a node dies.
 */
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { createLocalBus } from '../../src/bus/local-bus.js';
import type { MessageBus } from '../../src/bus/message-bus.js';
import { createRedisBus } from '../../src/bus/redis-bus.js';
import { CallError, CallService, type CallPeer } from '../../src/features/calls/call-service.js';
import type { GroupCluster } from '../../src/cluster/group-link.js';
import { createRedisRoster } from '../../src/cluster/redis-roster.js';
import type { RoomUser } from '../../src/features/rooms/room-protocol.js';
import { RoomRegistry, type RoomMember, type RoomRefusal } from '../../src/features/rooms/room-registry.js';
import { createLocalRoster, type LocalRosterStore } from '../../src/cluster/roster.js';
import { connectRedis } from '../../src/redis/redis-connection.js';
import { eventually } from '../support/eventually.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { REDIS_URL, requireRedis } from '../support/services.js';
import { deleteKeys, testPrefix } from './cluster-helpers.js';

const redisAvailable = await requireRedis('test/rooms/nodes.test.ts (Redis nodes)');

type Frame = Record<string, unknown>;

/** A connection that records what it is sent: a room member and a call participant. */
class FakeSocket implements RoomMember, CallPeer {
  readonly frames: Frame[] = [];
  constructor(public user: RoomUser = { id: '', name: '' }) {}
  send(frame: string | Buffer): void {
    this.frames.push(JSON.parse(String(frame)) as Frame);
  }
}

interface Node {
  rooms: RoomRegistry;
  calls: CallService;
  /** Stops the node as a crash would: no more renewals, nothing said to the others. */
  crash(): Promise<void>;
}

const errors: unknown[] = [];
const nodes: Node[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.crash()));
  expect(errors).toEqual([]);
});

function startNode(cluster: GroupCluster, crash: () => Promise<void> = async () => undefined): Node {
  const onError = (err: unknown) => errors.push(err);
  const rooms = new RoomRegistry(3, cluster, onError);
  const calls = new CallService({ maxParticipants: 2, maxCalls: 100, timeoutMs: 60_000 }, undefined, { cluster, onError });
  const node: Node = {
    rooms,
    calls,
    async crash() {
      rooms.close();
      calls.close();
      await crash();
    },
  };
  nodes.push(node);
  return node;
}

/** Joins as a socket would: the users already there, after which the others hear userJoined. */
async function join(node: Node, roomId: string, user: RoomUser): Promise<{ socket: FakeSocket; others: RoomUser[] | RoomRefusal }> {
  const socket = new FakeSocket(user);
  const others = await node.rooms.join(roomId, socket, user);
  if (Array.isArray(others)) node.rooms.broadcast(roomId, JSON.stringify({ type: 'userJoined', payload: { userId: user.id, username: user.name } }), socket);
  return { socket, others };
}

const user = (id: string): RoomUser => ({ id, name: `${id} name` });

/** Both faces over a cluster whose nodes `open()` makes. */
function twoNodeBehaviour(open: () => Promise<Node>): void {
  let serial = 0;
  const fresh = (what: string) => `${what}-${++serial}-${Math.random().toString(36).slice(2)}`;

  test('rooms: userList lists both nodes, a broadcast reaches every other member once, ROOM_FULL counts both nodes', async () => {
    const [a, b] = [await open(), await open()];
    const room = fresh('room');
    const alice = await join(a, room, user('alice'));
    const bob = await join(b, room, user('bob'));
    // bob's userJoined crosses over before carol joins, or carol would hear it too.
    await eventually(() => alice.socket.frames.length === 1);
    const carol = await join(a, room, user('carol'));
    expect(alice.others).toEqual([]);
    expect(bob.others).toEqual([user('alice')]);
    expect(carol.others).toEqual([user('alice'), user('bob')]);
    expect((await join(b, room, user('dave'))).others).toBe('full');
    await eventually(() => alice.socket.frames.length === 2);

    b.rooms.broadcast(room, '{"type":"message","payload":"x"}', bob.socket);
    await eventually(() => alice.socket.frames.length === 3 && carol.socket.frames.length === 1);
    // A later broadcast from node a: any duplicate of the first would have arrived before it.
    a.rooms.broadcast(room, '{"type":"userTyping"}', carol.socket);
    await eventually(() => bob.socket.frames.length === 2);
    expect(alice.socket.frames.map((f) => f.type)).toEqual(['userJoined', 'userJoined', 'message', 'userTyping']);
    expect(bob.socket.frames.map((f) => f.type)).toEqual(['userJoined', 'userTyping']);
    expect(carol.socket.frames.map((f) => f.type)).toEqual(['message']);

    b.rooms.leave(room, bob.socket);
    b.rooms.broadcast(room, JSON.stringify({ type: 'userLeft', payload: { userId: 'bob' } }));
    await eventually(() => alice.socket.frames.length === 5);
    expect((await join(b, room, user('erin'))).others).toEqual([user('alice'), user('carol')]);
  });

  test('rooms: a user id held on one node is refused on the other (USER_ID_TAKEN) until its holder leaves', async () => {
    const [a, b] = [await open(), await open()];
    const room = fresh('room');
    const alice = await join(a, room, user('alice'));
    expect((await join(b, room, user('alice'))).others).toBe('taken');
    expect((await join(a, room, user('alice'))).others).toBe('taken');
    // An id that merely starts like a held one is another id.
    expect((await join(b, room, user('alic'))).others).toEqual([user('alice')]);
    a.rooms.leave(room, alice.socket);
    expect((await join(b, room, user('alice'))).others).toEqual([user('alic')]);
  });

  test('calls: a pair on two nodes signals across; CALL_FULL counts both nodes; NOT_IN_CALL on either node', async () => {
    const [a, b] = [await open(), await open()];
    const call = fresh('call');
    const [first, second, third] = [new FakeSocket(), new FakeSocket(), new FakeSocket()];
    await a.calls.join(first, call);
    await b.calls.join(second, call);
    await eventually(() => first.frames.length === 1);
    expect(first.frames).toEqual([{ type: 'peer-join' }]);
    await expect(Promise.resolve().then(() => a.calls.join(third, call))).rejects.toMatchObject({ code: 'CALL_FULL' });
    expect(() => b.calls.signal(third, call, 'forged')).toThrow(CallError);
    b.calls.signal(second, call, { sdp: 'offer' });
    await eventually(() => first.frames.length === 2);
    expect(first.frames[1]).toEqual({ type: 'signal', payload: { sdp: 'offer' } });
    b.calls.leave(second);
    await eventually(() => first.frames.length === 3);
    expect(first.frames[2]).toEqual({ type: 'peer-leave' });
    expect(second.frames).toEqual([]);
    expect(a.calls.stats()).toMatchObject({ signal_rooms: 1, participants: 1 });
    expect(b.calls.stats()).toMatchObject({ signal_rooms: 0, participants: 0 });
  });
}

describe('two nodes over the in-process bus and roster', () => {
  let bus: MessageBus;
  const store: LocalRosterStore = new Map();
  twoNodeBehaviour(async () => {
    bus ??= createLocalBus();
    const roster = createLocalRoster(store);
    return startNode({ bus, roster }, () => roster.close());
  });
});

describe.runIf(redisAvailable)('two nodes over Redis', () => {
  const prefix = testPrefix();
  afterAll(() => deleteKeys(prefix));

  /** A node with a bus and a roster connection of its own; its liveness runs out `nodeTtlMs` after its last renewal. */
  async function open(nodeTtlMs = 60_000, url = REDIS_URL): Promise<Node> {
    const onError = (err: unknown) => errors.push(err);
    const bus = await createRedisBus(url, { channelPrefix: prefix, onError });
    const redis = await connectRedis(url, `${prefix}roster`, onError);
    const roster = createRedisRoster(redis, { nodeId: Math.random().toString(36).slice(2), keyPrefix: prefix, nodeTtlMs });
    let crashed = false;
    return startNode({ bus, roster }, async () => {
      if (crashed) return;
      crashed = true;
      redis.disconnect();
      await bus.close();
    });
  }

  twoNodeBehaviour(() => open());

  test('a node that dies: within its TTL plus one sweep interval the others hear userLeft and peer-leave', async () => {
    // Sweeps every ttl / 3: the bound is one TTL plus one sweep, and a second of slack for a loaded machine.
    const ttl = 2_000;
    const bound = ttl + ttl / 3 + 1_000;
    const [a, doomed] = [await open(ttl), await open(ttl)];
    const alice = await join(a, 'room-death', user('alice'));
    await join(doomed, 'room-death', user('bob'));
    await join(doomed, 'room-death', user('carol'));
    const caller = new FakeSocket();
    await a.calls.join(caller, 'call-death');
    await doomed.calls.join(new FakeSocket(), 'call-death');
    await eventually(() => alice.socket.frames.length === 2 && caller.frames.length === 1);

    const diedAt = Date.now();
    await doomed.crash();
    await eventually(() => alice.socket.frames.length === 4 && caller.frames.length === 2, 2 * bound);
    expect(Date.now() - diedAt).toBeLessThan(bound);
    expect(alice.socket.frames.slice(2)).toEqual([
      { type: 'userLeft', payload: { userId: 'bob' } },
      { type: 'userLeft', payload: { userId: 'carol' } },
    ]);
    expect(caller.frames[1]).toEqual({ type: 'peer-leave' });
    // Their places are free again.
    expect((await join(a, 'room-death', user('dave'))).others).toEqual([user('alice')]);
    await a.calls.join(new FakeSocket(), 'call-death');
  });

  test('Redis away: a join fails with 503 and changes nothing; a leave is sent again, and told, once Redis is back', async () => {
    const proxy = await startTcpProxy('127.0.0.1', Number(new URL(REDIS_URL).port || 6379));
    try {
      const url = new URL(REDIS_URL);
      url.hostname = '127.0.0.1';
      url.port = String(proxy.port);
      const [a, b] = [await open(3_000, url.toString()), await open(3_000)]; // sweeps every second
      const alice = await join(a, 'room-outage', user('alice'));
      const bob = await join(b, 'room-outage', user('bob'));
      await eventually(() => alice.socket.frames.length === 1);

      await proxy.down();
      await expect(join(a, 'room-outage', user('carol'))).rejects.toMatchObject({ status: 503 });
      a.rooms.leave('room-outage', alice.socket);
      a.rooms.broadcast('room-outage', JSON.stringify({ type: 'userLeft', payload: { userId: 'alice' } })); // lost with the bus
      await proxy.up();

      await eventually(() => bob.socket.frames.length === 1, 5_000);
      expect(bob.socket.frames).toEqual([{ type: 'userLeft', payload: { userId: 'alice' } }]);
      expect((await join(b, 'room-outage', user('dave'))).others).toEqual([user('bob')]);
      expect(errors.length).toBeGreaterThan(0); // the outage, reported
      errors.length = 0;
    } finally {
      await proxy.down();
    }
  });
});
