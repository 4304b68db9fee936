export interface RateDecision {
  allowed: boolean;
  /** Seconds until one more unit is available (0 when allowed). */
  retryAfter: number;
}

/** Token buckets keyed by caller (sender key, client address, ...). */
export interface RateLimiter {
  consume(key: string, cost?: number): Promise<RateDecision>;
  close(): void;
}

export interface BucketPolicy {
  /** Tokens added per second. */
  ratePerSecond: number;
  /** Bucket size: the largest burst. */
  burst: number;
}
