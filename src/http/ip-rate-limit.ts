import type { onRequestHookHandler } from 'fastify';
import { tooMany } from '../core/errors.js';
import type { RateLimiter } from '../rate-limit/rate-limiter.js';

/** An onRequest hook: refuses a client address over its budget before its body is read. */
export function ipRateLimit(limiter: RateLimiter): onRequestHookHandler {
  return async (request) => {
    const decision = await limiter.consume(request.ip);
    if (!decision.allowed) throw tooMany('RATE_LIMITED', 'Too many requests from this address', decision.retryAfter);
  };
}
