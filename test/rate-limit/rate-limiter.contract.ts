/**
 * What every RateLimiter driver must do. `node(policy)` is the limiter of another server process;
 * for the in-process limiter it is the same limiter, since one process is the whole deployment.
 * Time is the driver's to move (`elapse`), and the rates are so low that the real time a test takes
 * refills nothing measurable: every decision is the same on a loaded machine.
 */
import { randomBytes } from 'node:crypto';
import { expect, test } from 'vitest';
import type { BucketPolicy, RateLimiter } from '../../src/rate-limit/rate-limiter.js';

export interface LimiterNodes {
  node(policy: BucketPolicy): Promise<RateLimiter>;
  /** Lets `ms` more pass on the clock the limiters refill by. */
  elapse(ms: number): Promise<void>;
}

/** One token per 10 s, bursts of 3. */
const POLICY: BucketPolicy = { ratePerSecond: 0.1, burst: 3 };
const TOKEN_SECONDS = 1 / POLICY.ratePerSecond;
const freshKey = () => `caller-${randomBytes(4).toString('hex')}`;

export function rateLimiterContract(nodes: () => LimiterNodes): void {
  test('a burst passes, the next unit is refused with the wait for one token; callers are separate', async () => {
    const limiter = await nodes().node(POLICY);
    const key = freshKey();
    for (let i = 0; i < 3; i += 1) expect(await limiter.consume(key)).toEqual({ allowed: true, retryAfter: 0 });
    const refused = await limiter.consume(key);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfter).toBeGreaterThan(0);
    expect(refused.retryAfter).toBeLessThanOrEqual(TOKEN_SECONDS); // less if a little refilled while the test ran
    expect((await limiter.consume(freshKey())).allowed).toBe(true);
  });

  test('tokens refill continuously: after the advertised wait one more unit passes', async () => {
    const { node, elapse } = nodes();
    const limiter = await node(POLICY);
    const key = freshKey();
    for (let i = 0; i < 3; i += 1) await limiter.consume(key);
    const { retryAfter } = await limiter.consume(key);
    await elapse(retryAfter * 1000 + 1); // 1 ms more: the wait may be rounded in its last digit
    expect((await limiter.consume(key)).allowed).toBe(true);
    expect((await limiter.consume(key)).allowed).toBe(false);
    await elapse(3 * TOKEN_SECONDS * 1000); // a whole burst's worth
    for (let i = 0; i < 3; i += 1) expect((await limiter.consume(key)).allowed).toBe(true);
  });

  test('a cost takes that many tokens; a refused cost takes none and waits for the missing ones', async () => {
    const limiter = await nodes().node(POLICY);
    const key = freshKey();
    expect((await limiter.consume(key, 2)).allowed).toBe(true);
    const refused = await limiter.consume(key, 3);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfter).toBeGreaterThan(TOKEN_SECONDS); // two tokens missing, not one
    expect(refused.retryAfter).toBeLessThanOrEqual(2 * TOKEN_SECONDS);
    expect((await limiter.consume(key, 1)).allowed).toBe(true); // the refusal took nothing
  });

  test('two nodes share one budget, also under concurrent load', async () => {
    const policy = { ratePerSecond: 0.001, burst: 10 };
    const [a, b] = [await nodes().node(policy), await nodes().node(policy)];
    const key = freshKey();
    const decisions = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).consume(key)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(10);
    expect((await a.consume(key)).allowed).toBe(false);
    expect((await b.consume(key)).allowed).toBe(false);
  });
}
