import type { BucketPolicy, RateLimiter } from './rate-limiter.js';

interface Bucket {
  tokens: number;
  updatedAt: number;
}

const SWEEP_INTERVAL_MS = 10_000;

/** In-memory token buckets; buckets that have refilled completely are dropped so memory stays bounded by active callers. */
export function createLocalRateLimiter(policy: BucketPolicy, now: () => number = Date.now): RateLimiter {
  const buckets = new Map<string, Bucket>();
  const refill = (bucket: Bucket, at: number) => {
    bucket.tokens = Math.min(policy.burst, bucket.tokens + ((at - bucket.updatedAt) / 1000) * policy.ratePerSecond);
    bucket.updatedAt = at;
  };
  const sweep = setInterval(() => {
    const at = now();
    for (const [key, bucket] of buckets) {
      refill(bucket, at);
      if (bucket.tokens >= policy.burst) buckets.delete(key);
    }
  }, SWEEP_INTERVAL_MS);
  sweep.unref();

  return {
    async consume(key, cost = 1) {
      const at = now();
      let bucket = buckets.get(key);
      if (bucket === undefined) {
        bucket = { tokens: policy.burst, updatedAt: at };
        buckets.set(key, bucket);
      } else {
        refill(bucket, at);
      }
      if (bucket.tokens >= cost) {
        bucket.tokens -= cost;
        return { allowed: true, retryAfter: 0 };
      }
      return { allowed: false, retryAfter: (cost - bucket.tokens) / policy.ratePerSecond };
    },
    close() {
      clearInterval(sweep);
      buckets.clear();
    },
  };
}
