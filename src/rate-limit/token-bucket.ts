import type { BucketPolicy } from './rate-limiter.js';

/** One token bucket (GCRA-like: refills continuously). Synchronous, for per-connection budgets. */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly policy: BucketPolicy,
    now: number,
  ) {
    this.tokens = policy.burst;
    this.updatedAt = now;
  }

  /** Takes `cost` tokens if there are enough; returns the seconds to wait otherwise (0 when taken). */
  take(now: number, cost = 1): number {
    this.refill(now);
    if (this.tokens >= cost) {
      this.tokens -= cost;
      return 0;
    }
    return (cost - this.tokens) / this.policy.ratePerSecond;
  }

  /** True when the bucket is full again (nothing to remember about its owner). */
  isFull(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.policy.burst;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.policy.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.policy.ratePerSecond);
    this.updatedAt = now;
  }
}
