import { type ApiError, tooMany } from '../core/errors.js';
import type { RateLimiter } from '../rate-limit/rate-limiter.js';

/** A rate budget with the 429 it answers when spent: one limiter, keyed by identity or address key. */
export interface Budget {
  limiter: RateLimiter;
  code: string;
  detail: string;
}

/** Takes one unit of `key`'s budget: the 429 (with the bucket's Retry-After) when there was none left. */
export async function refusalOf(budget: Budget, key: string): Promise<ApiError | undefined> {
  const decision = await budget.limiter.consume(key);
  return decision.allowed ? undefined : tooMany(budget.code, budget.detail, decision.retryAfter);
}

/** Takes one unit of `key`'s budget, or throws its 429. */
export async function spend(budget: Budget, key: string): Promise<void> {
  const refusal = await refusalOf(budget, key);
  if (refusal !== undefined) throw refusal;
}
