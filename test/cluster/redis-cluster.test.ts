import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, test } from 'vitest';
import type { ConnectionSlots } from '../../src/cluster/connection-slots.js';
import type { Presence } from '../../src/cluster/presence.js';
import { createRedisConnectionSlots } from '../../src/cluster/redis-connection-slots.js';
import type { NodeCountsOptions } from '../../src/cluster/redis-node-liveness.js';
import { createRedisPresence } from '../../src/cluster/redis-presence.js';
import { eventually } from '../support/eventually.js';
import { useRedisScratch } from '../support/redis-scratch.js';
import { requireRedis } from '../support/services.js';
import { connectionSlotsContract } from './connection-slots.contract.js';
import { presenceContract } from './presence.contract.js';

const available = await requireRedis('test/cluster/redis-cluster.test.ts');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Create<T> = (redis: Redis, options: NodeCountsOptions) => Promise<T>;

/**
 * Nodes of one driver: each with a connection and a node id of its own, closed after each test. A
 * node "crashes" when its connection is cut: it can no longer renew, nor clean up.
 */
function redisNodes<T extends { close(): Promise<void> }>(create: Create<T>) {
  const scratch = useRedisScratch();
  const open: T[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((node) => node.close()));
    await scratch.clear();
  });
  const node = async (ttlSeconds?: number) => {
    const redis = await scratch.connect();
    const nodeId = randomUUID();
    const instance = await create(redis, { nodeId, keyPrefix: scratch.prefix, ttlSeconds });
    open.push(instance);
    return { instance, nodeId, crash: () => redis.disconnect() };
  };
  return { scratch, node };
}

describe.runIf(available)('Redis presence', () => {
  const { scratch, node } = redisNodes<Presence>(createRedisPresence);
  presenceContract(() => ({ node: async () => (await node()).instance }));

  test('a node that stops renewing is forgotten after its TTL, and its fields are deleted', async () => {
    const [a, b] = [await node(1), await node(1)];
    await a.instance.join('crashed-user');
    await b.instance.join('live-user');
    a.crash();
    expect(await b.instance.isOnline('crashed-user')).toBe(true);
    await eventually(async () => !(await b.instance.isOnline('crashed-user')), 3_000);
    expect(await (await scratch.admin()).hkeys(`${scratch.prefix}count:crashed-user`)).toEqual([]);
    await sleep(1_200); // b kept renewing
    expect(await (await node(1)).instance.isOnline('live-user')).toBe(true);
  });

  test('a node declared dead while Redis was out of reach writes its users again at the next renewal', async () => {
    const [a, b] = [await node(1), await node(1)];
    await a.instance.join('returning');
    await (await scratch.admin()).del(`${scratch.prefix}node:${a.nodeId}`); // as if it had expired
    expect(await b.instance.isOnline('returning')).toBe(false); // and b deleted a's field
    await eventually(() => b.instance.isOnline('returning'), 2_000);
  });

  test('close removes the node’s liveness key and its fields', async () => {
    const a = await node();
    await a.instance.join('x');
    await a.instance.join('y');
    expect(await scratch.keys()).toHaveLength(3);
    await a.instance.close();
    expect(await scratch.keys()).toEqual([]);
  });
});

describe.runIf(available)('Redis connection slots', () => {
  const { node } = redisNodes<ConnectionSlots>(createRedisConnectionSlots);
  connectionSlotsContract(() => ({ node: async () => (await node()).instance }));

  test('a dead node’s slots come back after its TTL', async () => {
    const [a, b] = [await node(1), await node(1)];
    expect(await a.instance.acquire('addr', 2)).toBe(true);
    expect(await a.instance.acquire('addr', 2)).toBe(true);
    a.crash();
    expect(await b.instance.acquire('addr', 2)).toBe(false);
    await eventually(() => b.instance.acquire('addr', 2), 3_000);
    expect(await b.instance.acquire('addr', 2)).toBe(true);
    expect(await b.instance.acquire('addr', 2)).toBe(false);
  });

  test('acquire and release on a node whose Redis is gone reject with 503', async () => {
    const a = await node();
    expect(await a.instance.acquire('down', 5)).toBe(true);
    a.crash();
    await expect(a.instance.acquire('down', 5)).rejects.toMatchObject({ status: 503, code: 'REDIS_UNAVAILABLE' });
    await expect(a.instance.release('down')).rejects.toMatchObject({ status: 503, code: 'REDIS_UNAVAILABLE' });
  });
});
