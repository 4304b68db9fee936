import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, test } from 'vitest';
import type { BucketPolicy } from '../../src/rate-limit/rate-limiter.js';
import { createRedisRateLimiter } from '../../src/rate-limit/redis-rate-limiter.js';
import { closeRedis, connectRedis } from '../../src/redis/redis-connection.js';
import { eventually } from '../support/eventually.js';
import { FAILS_FAST_MS } from '../support/fails-fast.js';
import { REDIS_URL, requireRedis } from '../support/services.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { rateLimiterContract } from './rate-limiter.contract.js';

const available = await requireRedis('test/rate-limit/redis-rate-limiter.test.ts');

describe.runIf(available)('Redis rate limiter', () => {
  // Keys of this file only; every bucket expires by itself, and afterAll removes any left.
  const prefix = `whispr_t_${randomBytes(6).toString('hex')}:`;
  const connections: Redis[] = [];
  const connect = async (url = REDIS_URL) => {
    const redis = await connectRedis(url, `${prefix}limiter`, () => undefined);
    connections.push(redis);
    return redis;
  };
  const limiter = async (policy: BucketPolicy, url?: string) => createRedisRateLimiter(await connect(url), policy, prefix);
  afterAll(async () => {
    const redis = await connect();
    const left = await redis.keys(`${prefix}*`);
    if (left.length > 0) await redis.del(...left);
    await Promise.all(connections.map(closeRedis));
  });

  /**
   * Redis's clock (TIME in the script) cannot be moved, so the buckets are aged instead: each bucket's
   * refill time and expiry move `ms` back, which is what the script sees once `ms` have passed.
   */
  const elapse = async (ms: number) => {
    const redis = await connect();
    for (const key of await redis.keys(`${prefix}*`)) {
      const ttl = await redis.pttl(key);
      if (ttl <= ms) await redis.del(key);
      else
        await redis
          .multi()
          .hincrbyfloat(key, 'at', -ms)
          .pexpire(key, ttl - ms)
          .exec();
    }
  };

  rateLimiterContract(() => ({ node: limiter, elapse }));

  test('a bucket lives only until it would be full again', async () => {
    const redis = await connect();
    // One token per 10 s: the expiries below cannot move measurably while the test runs.
    const slow = createRedisRateLimiter(redis, { ratePerSecond: 0.1, burst: 3 }, prefix);
    await slow.consume('ttl');
    const oneToken = await redis.pttl(`${prefix}ttl`);
    expect(oneToken).toBeGreaterThan(0);
    expect(oneToken).toBeLessThanOrEqual(10_000);
    await slow.consume('ttl', 2);
    const threeTokens = await redis.pttl(`${prefix}ttl`);
    expect(threeTokens).toBeGreaterThan(20_000);
    expect(threeTokens).toBeLessThanOrEqual(30_000);
    // On Redis's own clock a fast bucket is full, and so gone, about 150 ms after it was emptied.
    const fast = createRedisRateLimiter(redis, { ratePerSecond: 20, burst: 3 }, prefix);
    await fast.consume('fast', 3);
    await eventually(async () => (await redis.exists(`${prefix}fast`)) === 0);
    expect(await fast.consume('fast', 3)).toEqual({ allowed: true, retryAfter: 0 }); // a missing bucket is a full one
  });

  test('works on after Redis lost its script cache (restart, SCRIPT FLUSH)', async () => {
    const redis = await connect();
    const limit = createRedisRateLimiter(redis, { ratePerSecond: 0.001, burst: 1 }, prefix);
    expect((await limit.consume('flush')).allowed).toBe(true);
    await redis.script('FLUSH');
    expect((await limit.consume('flush')).allowed).toBe(false);
  });

  test('while Redis is down consume rejects at once with 503', async () => {
    const proxy = await startTcpProxy('127.0.0.1', Number(new URL(REDIS_URL).port || 6379));
    const url = new URL(REDIS_URL);
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    const limit = await limiter({ ratePerSecond: 1, burst: 5 }, url.toString());
    expect((await limit.consume('down')).allowed).toBe(true);
    await proxy.down();
    const started = Date.now();
    await expect(limit.consume('down')).rejects.toMatchObject({ status: 503, code: 'REDIS_UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(FAILS_FAST_MS);
  });
});
