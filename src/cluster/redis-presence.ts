import type { Redis } from 'ioredis';
import type { Presence } from './presence.js';
import { openNodeCounts, type NodeCountsOptions } from './redis-node-liveness.js';

/**
 * Presence shared by every node: per id a hash nodeId → sockets on that node, and a liveness key per
 * node (see redis-node-liveness.ts). An id is online while some live node holds a socket of it; a
 * crashed node's sockets stop counting once its liveness key expires (`ttlSeconds`, default 15).
 * Keys: `<keyPrefix>count:<id>` and `<keyPrefix>node:<nodeId>`. The connection belongs to the caller.
 */
export async function createRedisPresence(redis: Redis, options: NodeCountsOptions): Promise<Presence> {
  const counts = await openNodeCounts(redis, options);
  return {
    join: (id) => counts.increment(id),
    leave: (id) => counts.decrement(id),
    // A socket on this node answers without asking Redis.
    isOnline: async (id) => counts.own(id) > 0 || (await counts.othersTotal(id)) > 0,
    close: () => counts.close(),
  };
}
