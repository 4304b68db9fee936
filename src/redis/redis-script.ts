import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { guardRedis } from './redis-connection.js';

/** Runs the script atomically on `redis` with these KEYS and ARGV; Redis being unreachable rejects with 503. */
export type RedisScript = (redis: Redis, keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>;

/**
 * A Lua script sent by its SHA1 (EVALSHA). After Redis lost its script cache (restart, SCRIPT FLUSH)
 * the script itself is sent once (EVAL), which caches it again. Lua numbers come back truncated to
 * integers: a script returns fractions as strings.
 */
export function redisScript(source: string): RedisScript {
  const sha = createHash('sha1').update(source).digest('hex');
  const run = async (redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> => {
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
      return await redis.eval(source, keys.length, ...keys, ...args);
    }
  };
  return (redis, keys, args) => guardRedis(() => run(redis, keys, args));
}
