import type { Redis } from 'ioredis';
import type { ConnectionSlots } from './connection-slots.js';
import { openNodeCounts, type NodeCountsOptions } from './redis-node-liveness.js';

/**
 * Connection caps shared by every node: per key a hash nodeId → slots held on that node, and a
 * liveness key per node (see redis-node-liveness.ts). `acquire` counts the live nodes' slots and
 * takes one in a single script, so the cap holds however many nodes acquire at once; a crashed node's
 * slots come back once its liveness key expires (`ttlSeconds`, default 15).
 * Keys: `<keyPrefix>count:<key>` and `<keyPrefix>node:<nodeId>`. The connection belongs to the caller.
 */
export async function createRedisConnectionSlots(redis: Redis, options: NodeCountsOptions): Promise<ConnectionSlots> {
  const counts = await openNodeCounts(redis, options);
  return {
    acquire: (key, cap) => counts.incrementWithin(key, cap),
    release: (key) => counts.decrement(key),
    close: () => counts.close(),
  };
}
