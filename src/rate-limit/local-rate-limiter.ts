import type { BucketPolicy, RateLimiter } from './rate-limiter.js';
import { TokenBucket } from './token-bucket.js';

const SWEEP_INTERVAL_MS = 10_000;

/** In-memory token buckets; buckets that have refilled completely are dropped so memory stays bounded by active callers. */
export function createLocalRateLimiter(policy: BucketPolicy, now: () => number = Date.now): RateLimiter {
  const buckets = new Map<string, TokenBucket>();
  const sweep = setInterval(() => {
    const at = now();
    for (const [key, bucket] of buckets) if (bucket.isFull(at)) buckets.delete(key);
  }, SWEEP_INTERVAL_MS);
  sweep.unref();

  return {
    async consume(key, cost = 1) {
      const at = now();
      let bucket = buckets.get(key);
      if (bucket === undefined) {
        bucket = new TokenBucket(policy, at);
        buckets.set(key, bucket);
      }
      const wait = bucket.take(at, cost);
      return { allowed: wait === 0, retryAfter: wait };
    },
    close() {
      clearInterval(sweep);
      buckets.clear();
    },
  };
}
