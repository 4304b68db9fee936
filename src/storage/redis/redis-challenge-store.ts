import type { Redis } from 'ioredis';
import { guardRedis } from '../../redis/redis-connection.js';
import type { Challenge, ChallengeStore } from '../../features/auth/challenge-store.js';

export interface RedisChallengeStoreOptions {
  /** Prefix of the challenge keys, e.g. `whispr:challenge:`. */
  keyPrefix: string;
  /** Challenges this node has put and not yet seen taken or expired; put refuses above it. */
  maxPending: number;
  /** Unix seconds (float), the clock `expiresAt` is on. */
  now: () => number;
}

interface Stored {
  key: string;
  keyType: Challenge['keyType'];
  /** base64 */
  nonce: string;
  expiresAt: number;
}

/**
 * Challenges shared by every node: issued on one node, answered on any. A challenge is one key
 * `<keyPrefix><id>` holding JSON, written with SET NX (never over a pending one) and PX until its
 * expiry, and taken with GETDEL (Redis >= 6.2), so a nonce is accepted at most once across nodes.
 *
 * The bound is per node, not global: counting every node's pending challenges in Redis would cost a
 * shared counter on every put and take, and a counter that drifts whenever a key expires. Each node
 * counts the challenges it put that it has not seen taken and that have not expired (a challenge
 * taken on another node counts here until its expiry), so Redis holds at most nodes × maxPending;
 * the per-address rate limit on /auth/challenge is what keeps one client from using that up.
 * `size()` is that per-node count, an approximation of this node's share. The connection belongs to
 * the caller.
 */
export function createRedisChallengeStore(redis: Redis, options: RedisChallengeStoreOptions): ChallengeStore & { close(): void } {
  const { keyPrefix, maxPending, now } = options;
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
      if (pending.size >= maxPending) sweepExpired();
      if (pending.size >= maxPending) return false;
      const ttlMs = Math.ceil((challenge.expiresAt - now()) * 1000);
      if (ttlMs <= 0) return true; // already expired: nothing could take it
      const { id, nonce, ...rest } = challenge;
      const stored: Stored = { ...rest, nonce: nonce.toString('base64') };
      const written = await guardRedis(() => redis.set(keyPrefix + id, JSON.stringify(stored), 'PX', ttlMs, 'NX'));
      if (written === null) return false; // the id is taken (a random UUID: practically never)
      pending.set(id, challenge.expiresAt);
      return true;
    },
    async take(id, at) {
      pending.delete(id);
      const text = await guardRedis(() => redis.getdel(keyPrefix + id));
      if (text === null) return undefined;
      const { nonce, ...rest } = JSON.parse(text) as Stored;
      return rest.expiresAt > at ? { id, ...rest, nonce: Buffer.from(nonce, 'base64') } : undefined;
    },
    size: () => pending.size,
    close: () => clearInterval(sweep),
  };
}
