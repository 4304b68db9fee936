import type { onRequestHookHandler } from 'fastify';
import type { RateLimiter } from '../rate-limit/rate-limiter.js';
import { addressKey } from './address-key.js';
import { type Budget, spend } from './budget.js';

/** A per-address budget (keyed by addressKey: an IPv6 /64 is one address). */
export const addressBudget = (limiter: RateLimiter): Budget => ({ limiter, code: 'RATE_LIMITED', detail: 'Too many requests from this address' });

/** An onRequest hook: refuses a client address over its budget before its body is read. */
export function ipRateLimit(limiter: RateLimiter): onRequestHookHandler {
  const budget = addressBudget(limiter);
  return async (request) => spend(budget, addressKey(request.ip));
}
