import type { Redis } from 'ioredis';
import { guardRedis } from '../../redis/redis-connection.js';
import type { Challenge, ChallengeCaps, ChallengeStore } from '../../features/auth/index.js';
import { redisScript } from '../../redis/redis-script.js';

export interface RedisChallengeStoreOptions {
  /** Prefix of the challenge keys, e.g. `whispr:challenge:`. */
  keyPrefix: string;
  /**
   * maxPending: challenges this node has put and not yet seen taken or expired (put refuses above it);
   * maxPendingPerAddress: unexpired challenges of one client address, on every node together.
   */
  caps: ChallengeCaps;
  /** Unix seconds (float), the clock `expiresAt` is on. */
  now: () => number;
}

interface Stored {
  key: string;
  keyType: Challenge['keyType'];
  /** base64 */
  nonce: string;
  expiresAt: number;
  address: string;
}

/**
 * ARGV: challenge key, address key, JSON, ttl ms, now, expiresAt, id, maxPendingPerAddress. The
 * address key is a sorted set of the address's challenge ids scored by expiry: expired ids are dropped
 * before counting, so a challenge never taken stops counting when it expires, on every node.
 */
const PUT = redisScript(`
local challengeKey, addressKey = ARGV[1], ARGV[2]
redis.call('ZREMRANGEBYSCORE', addressKey, '-inf', ARGV[5])
if redis.call('ZCARD', addressKey) >= tonumber(ARGV[8]) then return 'address-full' end
if not redis.call('SET', challengeKey, ARGV[3], 'PX', ARGV[4], 'NX') then return 'taken' end
redis.call('ZADD', addressKey, ARGV[6], ARGV[7])
-- Every challenge lives challenge_ttl_seconds: the newest is the last to expire.
redis.call('PEXPIRE', addressKey, ARGV[4])
return 'stored'
`);

/**
 * Challenges shared by every node: issued on one node, answered on any. A challenge is one key
 * `<keyPrefix><id>` holding JSON, written with SET NX (never over a pending one) and PX until its
 * expiry, and taken with GETDEL (Redis >= 6.2), so a nonce is accepted at most once across nodes.
 *
 * The bound is per node, not global: counting every node's pending challenges in Redis would cost a
 * shared counter on every put and take, and a counter that drifts whenever a key expires. Each node
 * counts the challenges it put that it has not seen taken and that have not expired (a challenge
 * taken on another node counts here until its expiry), so Redis holds at most nodes × maxPending;
 * what keeps one client from using that up is the per-address cap, which is shared: each address's
 * unexpired challenge ids are a sorted set `<keyPrefix>address:<address key>` (see PUT).
 * `size()` is that per-node count, an approximation of this node's share. The connection belongs to
 * the caller.
 */
export function createRedisChallengeStore(redis: Redis, options: RedisChallengeStoreOptions): ChallengeStore & { close(): void } {
  const { keyPrefix, caps, now } = options;
  const addressSet = (address: string) => `${keyPrefix}address:${address}`;
  /** Challenges this node put: id → expiresAt. */
  const pending = new Map<string, number>();
  const sweepExpired = () => {
    const at = now();
    for (const [id, expiresAt] of pending) if (expiresAt <= at) pending.delete(id);
  };
  const sweep = setInterval(sweepExpired, 5_000);
  sweep.unref();

  return {
    async put(challenge) {
      if (pending.size >= caps.maxPending) sweepExpired();
      if (pending.size >= caps.maxPending) return 'full';
      const at = now();
      const ttlMs = Math.ceil((challenge.expiresAt - at) * 1000);
      if (ttlMs <= 0) return 'stored'; // already expired: nothing could take it
      const { id, nonce, ...rest } = challenge;
      const stored: Stored = { ...rest, nonce: nonce.toString('base64') };
      const args = [keyPrefix + id, addressSet(challenge.address), JSON.stringify(stored), ttlMs, at, challenge.expiresAt, id, caps.maxPendingPerAddress];
      const outcome = await PUT(redis, [], args);
      if (outcome === 'address-full') return 'address-full';
      if (outcome !== 'stored') return 'full'; // the id is taken (a random UUID: practically never)
      pending.set(id, challenge.expiresAt);
      return 'stored';
    },
    async take(id, at) {
      pending.delete(id);
      const text = await guardRedis(() => redis.getdel(keyPrefix + id));
      if (text === null) return undefined;
      const { nonce, ...rest } = JSON.parse(text) as Stored;
      await guardRedis(() => redis.zrem(addressSet(rest.address), id));
      return rest.expiresAt > at ? { id, ...rest, nonce: Buffer.from(nonce, 'base64') } : undefined;
    },
    size: () => pending.size,
    close: () => clearInterval(sweep),
  };
}
