import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { KeyedLock } from '../core/keyed-lock.js';
import { unavailable } from '../core/errors.js';
import { guardRedis } from '../redis/redis-connection.js';
import { redisScript } from '../redis/redis-script.js';
import type { KeyLocks } from './key-locks.js';

export interface RedisKeyLocksOptions {
  /** Prefix of the lock keys, e.g. `whispr:lock:`. */
  keyPrefix: string;
  /** A lock outlives a node that died holding it by at most this long. Default 60 s. */
  ttlMs?: number;
  /** Waiting longer than this for a lock is an outage (503). Default 30 s. */
  waitMs?: number;
}

/** Deletes the lock only if it is still ours (it may have expired and been taken by another node). */
const RELEASE = redisScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`);

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One holder per key across every node: SET NX PX with a random token, released by token. Work on
 * one node queues locally first, so only one of its callers at a time polls Redis for a key.
 */
export function createRedisKeyLocks(redis: Redis, options: RedisKeyLocksOptions): KeyLocks {
  const local = new KeyedLock();
  const ttlMs = options.ttlMs ?? 60_000;
  const waitMs = options.waitMs ?? 30_000;
  const acquire = async (key: string, token: string): Promise<void> => {
    const deadline = Date.now() + waitMs;
    for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
      if ((await guardRedis(() => redis.set(key, token, 'PX', ttlMs, 'NX'))) === 'OK') return;
      if (Date.now() > deadline) throw unavailable('LOCK_TIMEOUT', 'Another node holds this file for too long; retry shortly', 1);
      await pause(delay);
    }
  };
  return {
    run: (key, work) =>
      local.run(key, async () => {
        const lockKey = `${options.keyPrefix}${key}`;
        const token = randomUUID();
        await acquire(lockKey, token);
        try {
          return await work();
        } finally {
          await RELEASE(redis, [lockKey], [token]).catch(() => undefined); // unreachable Redis: the lock expires
        }
      }),
  };
}
