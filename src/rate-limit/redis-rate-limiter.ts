import type { Redis } from 'ioredis';
import { redisScript } from '../redis/redis-script.js';
import type { BucketPolicy, RateLimiter } from './rate-limiter.js';

/**
 * token-bucket.ts in Lua, so that take-and-store is one atomic step for every node. Time is Redis's
 * own clock (TIME), so nodes with skewed clocks still share one budget. A bucket lives only until it
 * would be full again: then it expires, and a missing bucket is a full one.
 * Returns the seconds to wait, as a string (Redis would truncate a Lua number to an integer).
 */
const TAKE_TOKENS = redisScript(`
local rate, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) / 1000 * rate)
local wait = 0
if tokens >= cost then tokens = tokens - cost else wait = (cost - tokens) / rate end
local refill_ms = math.ceil((burst - tokens) / rate * 1000)
if refill_ms > 0 then
  redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
  redis.call('PEXPIRE', KEYS[1], refill_ms)
else
  redis.call('DEL', KEYS[1])
end
return tostring(wait)
`);

/**
 * Token buckets shared by every node, under `keyPrefix` (one prefix per limiter, e.g.
 * `whispr:rl:send:`). The Redis connection belongs to the caller, who closes it.
 */
export function createRedisRateLimiter(redis: Redis, policy: BucketPolicy, keyPrefix: string): RateLimiter {
  return {
    async consume(key, cost = 1) {
      const wait = Number(await TAKE_TOKENS(redis, [keyPrefix + key], [policy.ratePerSecond, policy.burst, cost]));
      return { allowed: wait === 0, retryAfter: wait };
    },
    close() {
      // Nothing to release: the buckets expire by themselves and the connection is the caller's.
    },
  };
}
