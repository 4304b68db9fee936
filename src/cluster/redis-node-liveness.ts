import type { Redis } from 'ioredis';
import { KeyedLock } from '../core/keyed-lock.js';
import { guardRedis } from '../redis/redis-connection.js';
import { redisScript } from '../redis/redis-script.js';

export interface NodeCountsOptions {
  /** This process among the nodes, unique per process (e.g. a random UUID). */
  nodeId: string;
  /** Prefix of every key, one per use (e.g. `whispr:presence:`, `whispr:slots:`). */
  keyPrefix: string;
  /** A node that has not renewed its liveness key for this long is dead; it renews every third of it. Default 15. */
  ttlSeconds?: number;
  /** Failed renewals (Redis unreachable); the timer keeps trying. */
  onError?: (error: unknown) => void;
}

/**
 * Counts per key that every node writes its own share of and reads the sum of: the shared part of
 * Presence (sockets per user) and ConnectionSlots (connections per address).
 */
export interface NodeCounts {
  /** This node's count of `key`. */
  own(key: string): number;
  /** One more for this node; a rejected call changed nothing. */
  increment(key: string): Promise<void>;
  /** One less for this node (never below 0); kept locally even if Redis could not be told. */
  decrement(key: string): Promise<void>;
  /** The counts of the other live nodes, summed. */
  othersTotal(key: string): Promise<number>;
  /** One more for this node if the total over all live nodes stays within `cap`, atomically across nodes. */
  incrementWithin(key: string, cap: number): Promise<boolean>;
  /** Stops renewing and removes this node's liveness key and counts. */
  close(): Promise<void>;
}

/**
 * Sums the counts of live nodes other than this one in the hash KEYS[1] and deletes the fields of
 * dead ones (no liveness key ARGV[1]..node). Every caller then writes this node's field (ARGV[2]) as
 * a whole value, never an increment: a write that failed, or raced a restore, is healed by the next.
 */
const OTHERS_TOTAL = `
local nodes, self = ARGV[1], ARGV[2]
local fields = redis.call('HGETALL', KEYS[1])
local total = 0
for i = 1, #fields, 2 do
  if fields[i] ~= self then
    if redis.call('EXISTS', nodes .. fields[i]) == 1 then total = total + tonumber(fields[i + 1])
    else redis.call('HDEL', KEYS[1], fields[i]) end
  end
end
`;
const othersTotal = redisScript(`${OTHERS_TOTAL}return total`);
/** ARGV[3]: the cap; ARGV[4]: this node's count. Sets this node's field to count + 1 when within the cap. */
const incrementWithin = redisScript(`${OTHERS_TOTAL}
local cap, own = tonumber(ARGV[3]), tonumber(ARGV[4])
if total + own < cap then
  redis.call('HSET', KEYS[1], self, own + 1)
  return 1
end
return 0`);

/**
 * Per key a hash nodeId → count, and per node a liveness key `<prefix>node:<nodeId>` with a TTL that a
 * timer (unref'd) renews every ttl/3. A node that stops renewing (crashed, cut off) is dead: its
 * fields no longer count, and the next read of a key deletes them. When a renewal finds its liveness
 * key gone (Redis was unreachable for longer than the TTL, or lost its data), the node writes its
 * counts again. Each node serializes its writes per key, so its field is always the count it holds.
 *
 * The scripts name keys they derive from the prefix, so this needs one Redis (standalone or
 * Sentinel), not Redis Cluster. The connection belongs to the caller.
 */
export async function openNodeCounts(redis: Redis, options: NodeCountsOptions): Promise<NodeCounts> {
  const { nodeId, keyPrefix } = options;
  const ttlMs = Math.round((options.ttlSeconds ?? 15) * 1000);
  const nodes = `${keyPrefix}node:`;
  const liveness = nodes + nodeId;
  const hash = (key: string) => `${keyPrefix}count:${key}`;
  const counts = new Map<string, number>();
  const lock = new KeyedLock();
  const own = (key: string) => counts.get(key) ?? 0;

  const setCount = (key: string, count: number) => (count > 0 ? counts.set(key, count) : counts.delete(key));
  const write = (key: string, count: number) => guardRedis(() => (count > 0 ? redis.hset(hash(key), nodeId, count) : redis.hdel(hash(key), nodeId)));
  /** Changes this node's count of `key` and writes it, after the writes of `key` before it. */
  const update = (key: string, next: (count: number) => number, keepOnFailure: boolean) =>
    lock.run(key, async () => {
      const count = next(own(key));
      if (keepOnFailure) setCount(key, count);
      await write(key, count);
      setCount(key, count);
    });

  const renew = async () => {
    const previous = await guardRedis(() => redis.set(liveness, '1', 'PX', ttlMs, 'GET'));
    if (previous !== null) return;
    // Declared dead meanwhile: other nodes may have deleted this node's fields.
    await Promise.all([...counts.keys()].map((key) => lock.run(key, () => write(key, own(key)))));
  };
  await guardRedis(() => redis.set(liveness, '1', 'PX', ttlMs));
  const timer = setInterval(() => renew().catch((error: unknown) => options.onError?.(error)), ttlMs / 3);
  timer.unref();

  return {
    own,
    increment: (key) => update(key, (n) => n + 1, false),
    decrement: (key) => update(key, (n) => Math.max(0, n - 1), true),
    othersTotal: async (key) => Number(await othersTotal(redis, [hash(key)], [nodes, nodeId])),
    incrementWithin: (key, cap) =>
      lock.run(key, async () => {
        const granted = (await incrementWithin(redis, [hash(key)], [nodes, nodeId, cap, own(key)])) === 1;
        if (granted) setCount(key, own(key) + 1);
        return granted;
      }),
    async close() {
      clearInterval(timer);
      const keys = [...counts.keys()];
      counts.clear();
      // Best effort: if Redis cannot be told, the liveness key runs out and the fields stop counting.
      const cleanup = redis.multi();
      for (const key of keys) cleanup.hdel(hash(key), nodeId);
      await cleanup
        .del(liveness)
        .exec()
        .catch(() => undefined);
    },
  };
}
