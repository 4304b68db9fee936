import { afterAll, describe } from 'vitest';
import { createLocalRateLimiter } from '../../src/rate-limit/local-rate-limiter.js';
import type { RateLimiter } from '../../src/rate-limit/rate-limiter.js';
import { rateLimiterContract } from './rate-limiter.contract.js';

describe('local rate limiter', () => {
  // One process is one node: every node() of a policy is the same limiter.
  const limiters = new Map<string, RateLimiter>();
  afterAll(() => limiters.forEach((limiter) => { limiter.close(); }));
  rateLimiterContract(() => ({
    async node(policy) {
      const id = JSON.stringify(policy);
      const limiter = limiters.get(id) ?? createLocalRateLimiter(policy);
      limiters.set(id, limiter);
      return limiter;
    },
  }));
});
