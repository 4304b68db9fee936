/** The roster port (who is in which room or call, on every node): one contract for both drivers, and Redis's liveness. */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { closeRedis, connectRedis } from '../../src/redis/redis-connection.js';
import { createRedisRoster } from '../../src/cluster/redis-roster.js';
import { createLocalRoster, type LocalRosterStore, type Roster } from '../../src/cluster/roster.js';
import { eventually } from '../support/eventually.js';
import { REDIS_URL, requireRedis } from '../support/services.js';
import { deleteKeys, testPrefix } from './cluster-helpers.js';

const available = await requireRedis('test/rooms/roster.test.ts (Redis driver)');

/** `node()` is the roster of another node over the same shared state. */
function rosterContract(node: () => Promise<Roster>): void {
  let serial = 0;
  const group = () => `room:contract-${++serial}-${Math.random()}`;

  test('the cap counts every node; the members already there come oldest first, with their data', async () => {
    const [x, y] = [await node(), await node()];
    const g = group();
    expect(await x.join(g, 'm1', 'alice Alice', 3)).toEqual({ admitted: true, taken: false, present: [], departed: [] });
    expect(await y.join(g, 'm1', 'bob Bob', 3)).toMatchObject({ admitted: true, present: [{ node: x.nodeId, member: 'm1', data: 'alice Alice' }] });
    expect((await x.join(g, 'm2', 'carol', 3)).present.map((e) => e.data)).toEqual(['alice Alice', 'bob Bob']);
    const refused = await y.join(g, 'm2', 'dave', 3);
    expect(refused.admitted).toBe(false);
    expect(refused.present.map((e) => [e.node, e.data])).toEqual([
      [x.nodeId, 'alice Alice'],
      [y.nodeId, 'bob Bob'],
      [x.nodeId, 'carol'],
    ]);
    // A leave on one node frees a place for the other.
    await x.leave(g, 'm1');
    expect((await y.join(g, 'm2', 'dave', 3)).present.map((e) => e.data)).toEqual(['bob Bob', 'carol']);
  });

  test('a unique prefix held by a live member on any node refuses the join (taken) until that member leaves', async () => {
    const [x, y] = [await node(), await node()];
    const g = group();
    await x.join(g, 'm1', 'alice Alice', 5, 'alice ');
    const refused = await y.join(g, 'm1', 'alice Mallory', 5, 'alice ');
    expect(refused).toMatchObject({ admitted: false, taken: true });
    expect(refused.present.map((e) => e.data)).toEqual(['alice Alice']);
    expect(await y.join(g, 'm2', 'alicia Alicia', 5, 'alicia ')).toMatchObject({ admitted: true, taken: false });
    await x.leave(g, 'm1');
    expect(await y.join(g, 'm1', 'alice Alice', 5, 'alice ')).toMatchObject({ admitted: true, taken: false });
  });

  test('leaving twice, or a group never joined, is harmless; an emptied group starts afresh', async () => {
    const [x, y] = [await node(), await node()];
    const g = group();
    await x.join(g, 'a', 'one', 2);
    await x.leave(g, 'a');
    await x.leave(g, 'a');
    await y.leave(group(), 'nobody');
    expect(await y.join(g, 'b', 'two', 2)).toEqual({ admitted: true, taken: false, present: [], departed: [] });
  });

  test('a sweep with everything in order changes nothing', async () => {
    const [x, y] = [await node(), await node()];
    const g = group();
    await x.join(g, 'a', 'one', 5);
    await y.join(g, 'b', 'two', 5);
    expect(await x.sweep(g, [{ member: 'a', data: 'one', settled: true }])).toEqual({ departed: [], restored: [] });
    expect((await y.join(g, 'c', 'three', 5)).present.map((e) => e.data)).toEqual(['one', 'two']);
  });
}

describe('local driver', () => {
  const store: LocalRosterStore = new Map();
  afterEach(() => store.clear());
  rosterContract(async () => createLocalRoster(store));

  test('close drops that node’s members only', async () => {
    const [x, y] = [createLocalRoster(store), createLocalRoster(store)];
    await x.join('room:c', 'a', 'one', 5);
    await y.join('room:c', 'b', 'two', 5);
    await x.close();
    expect((await y.join('room:c', 'c', 'three', 5)).present.map((e) => e.data)).toEqual(['two']);
  });
});

describe.runIf(available)('Redis driver', () => {
  const prefix = testPrefix();
  const connections: Redis[] = [];
  let admin: Redis;
  /** A node: a roster on a connection of its own. */
  const node = async (nodeTtlMs = 60_000): Promise<{ roster: Roster; redis: Redis }> => {
    const redis = await connectRedis(REDIS_URL, `${prefix}roster-test`, () => undefined);
    connections.push(redis);
    return { roster: createRedisRoster(redis, { nodeId: `node-${Math.random().toString(36).slice(2)}`, keyPrefix: prefix, nodeTtlMs }), redis };
  };
  /**
   * A doomed node's TTL: long enough that it is surely still alive when checked right after it
   * crashed, however slow the machine; its death (Redis's own expiry) is then waited for.
   */
  const DOOMED_TTL_MS = 1_500;
  beforeAll(() => {
    admin = new Redis(REDIS_URL);
  });
  afterEach(async () => {
    await Promise.all(connections.splice(0).map((c) => closeRedis(c)));
  });
  afterAll(async () => {
    admin.disconnect();
    await deleteKeys(prefix);
  });

  rosterContract(async () => (await node()).roster);

  test('a node that stops renewing is dead after its TTL: one sweep removes its members and returns them, once', async () => {
    const [x, y, doomed] = [await node(), await node(), await node(DOOMED_TTL_MS)];
    await x.roster.join('room:death', 'a', 'alive', 5);
    await doomed.roster.join('room:death', 'd1', 'gone one', 5);
    await doomed.roster.join('room:death', 'd2', 'gone two', 5);
    doomed.redis.disconnect(); // crashed: no more renewals, its entries stay behind
    const own = [{ member: 'a', data: 'alive', settled: true }];
    // Still alive within its TTL.
    expect(await x.roster.sweep('room:death', own)).toEqual({ departed: [], restored: [] });
    let swept: Awaited<ReturnType<Roster['sweep']>> | undefined;
    await eventually(
      async () => {
        swept = await x.roster.sweep('room:death', own);
        return swept.departed.length > 0;
      },
      2 * DOOMED_TTL_MS + 3_000,
    );
    expect(swept!.departed.map((e) => [e.node, e.member, e.data])).toEqual([
      [doomed.roster.nodeId, 'd1', 'gone one'],
      [doomed.roster.nodeId, 'd2', 'gone two'],
    ]);
    expect(await y.roster.sweep('room:death', [])).toEqual({ departed: [], restored: [] });
    expect((await y.roster.join('room:death', 'b', 'other', 5)).present.map((e) => e.data)).toEqual(['alive']);
  });

  test('a join finds dead members first: they do not count against the cap, and the joiner reports them', async () => {
    const [x, doomed] = [await node(), await node(DOOMED_TTL_MS)];
    await doomed.roster.join('room:full', 'd', 'ghost', 1);
    doomed.redis.disconnect();
    expect((await x.roster.join('room:full', 'a', 'real', 1)).admitted).toBe(false);
    let joined: Awaited<ReturnType<Roster['join']>> | undefined;
    await eventually(
      async () => {
        joined = await x.roster.join('room:full', 'a', 'real', 1);
        return joined.admitted;
      },
      2 * DOOMED_TTL_MS + 3_000,
    );
    expect(joined).toMatchObject({ admitted: true, present: [], departed: [{ node: doomed.roster.nodeId, member: 'd', data: 'ghost' }] });
  });

  test('a close retires the node at once: its remaining members are swept by the next sweep', async () => {
    const [x, leaving] = [await node(), await node()];
    await leaving.roster.join('room:retire', 'l', 'leaving', 5);
    await leaving.roster.close();
    expect((await x.roster.sweep('room:retire', [])).departed.map((e) => e.data)).toEqual(['leaving']);
  });

  test('a sweep lists again the admitted members the roster lost, keeps joining ones, and drops stale ones of its node', async () => {
    const { roster: x } = await node();
    const key = `${prefix}group:room:mend`;
    await x.join('room:mend', 'kept', 'k', 5);
    await x.join('room:mend', 'lost', 'l', 5);
    await x.join('room:mend', 'stale', 's', 5);
    await x.join('room:mend', 'joining', 'j', 5);
    await admin.hdel(key, `${x.nodeId}/lost`); // as if another node had taken this one for dead
    const swept = await x.sweep('room:mend', [
      { member: 'kept', data: 'k', settled: true },
      { member: 'lost', data: 'l', settled: true },
      { member: 'joining', data: 'j', settled: false },
      { member: 'never', data: 'n', settled: false },
    ]);
    expect(swept.departed.map((e) => e.member)).toEqual(['stale']);
    expect(swept.restored.map((e) => [e.member, e.data])).toEqual([['lost', 'l']]);
    expect(Object.keys(await admin.hgetall(key)).sort()).toEqual(['#', `${x.nodeId}/joining`, `${x.nodeId}/kept`, `${x.nodeId}/lost`]);
  });

  test('group keys expire when no live node renews them; the last leave deletes the key', async () => {
    const { roster: x, redis } = await node(DOOMED_TTL_MS);
    await x.join('room:ttl', 'a', 'one', 5);
    expect(await admin.pttl(`${prefix}group:room:ttl`)).toBeGreaterThan(0);
    await x.leave('room:ttl', 'a');
    expect(await admin.exists(`${prefix}group:room:ttl`)).toBe(0);
    await x.join('room:ttl', 'b', 'two', 5);
    redis.disconnect();
    await eventually(async () => (await admin.exists(`${prefix}group:room:ttl`)) === 0, 3 * DOOMED_TTL_MS + 3_000);
  });
});
