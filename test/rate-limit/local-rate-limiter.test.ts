import { afterAll, describe } from 'vitest';
import { createLocalRateLimiter } from '../../src/rate-limit/local-rate-limiter.js';
import type { RateLimiter } from '../../src/rate-limit/rate-limiter.js';
import { rateLimiterContract } from './rate-limiter.contract.js';

describe('local rate limiter', () => {
  // One process is one node: every node() of a policy is the same limiter. Its clock is the test's.
  const limiters = new Map<string, RateLimiter>();
  let clock = 0;
  afterAll(() =>
    limiters.forEach((limiter) => {
      limiter.close();
    }),
  );
  rateLimiterContract(() => ({
    async node(policy) {
      const id = JSON.stringify(policy);
      const limiter = limiters.get(id) ?? createLocalRateLimiter(policy, () => clock);
      limiters.set(id, limiter);
      return limiter;
    },
    async elapse(ms) {
      clock += ms;
    },
  }));
});
