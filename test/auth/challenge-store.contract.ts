/**
 * What every ChallengeStore driver must do. `node(maxPending)` is the store of another server
 * process; the in-process store is the whole deployment, so there every node is the same store.
 * `maxPending` bounds what one node puts (the Redis store's bound is per node).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { expect, test } from 'vitest';
import type { Challenge, ChallengeStore } from '../../src/features/auth/challenge-store.js';
import { nowSeconds } from '../../src/core/clock.js';

export interface ChallengeNodes {
  node(maxPending?: number): Promise<ChallengeStore>;
}

const challenge = (ttlSeconds = 60): Challenge => ({
  id: randomUUID(),
  key: randomBytes(32).toString('hex'),
  keyType: 'ed25519',
  nonce: randomBytes(32),
  expiresAt: nowSeconds() + ttlSeconds,
});

export function challengeStoreContract(nodes: () => ChallengeNodes): void {
  test('a challenge put on one node is taken once on another, whole; a second take finds nothing', async () => {
    const [a, b] = [await nodes().node(), await nodes().node()];
    const put = { ...challenge(), keyType: 'x25519' as const };
    expect(await a.put(put)).toBe(true);
    expect(await b.take(put.id, nowSeconds())).toEqual(put);
    expect(await b.take(put.id, nowSeconds())).toBeUndefined();
    expect(await a.take(put.id, nowSeconds())).toBeUndefined();
    expect(await a.take(randomUUID(), nowSeconds())).toBeUndefined();
  });

  test('an expired challenge is not handed out, and is gone afterwards', async () => {
    const store = await nodes().node();
    const expiring = challenge(30);
    await store.put(expiring);
    expect(await store.take(expiring.id, expiring.expiresAt)).toBeUndefined();
    expect(await store.take(expiring.id, nowSeconds())).toBeUndefined();
  });

  test('concurrent takes on two nodes: exactly one gets the challenge', async () => {
    const [a, b] = [await nodes().node(), await nodes().node()];
    const put = challenge();
    await a.put(put);
    const taken = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).take(put.id, nowSeconds())));
    expect(taken.filter((c) => c !== undefined)).toHaveLength(1);
  });

  test('a node refuses puts beyond maxPending until one is taken; size counts its pending challenges', async () => {
    const store = await nodes().node(2);
    const [first, second] = [challenge(), challenge()];
    expect(await store.put(first)).toBe(true);
    expect(await store.put(second)).toBe(true);
    expect(store.size()).toBe(2);
    expect(await store.put(challenge())).toBe(false);
    await store.take(first.id, nowSeconds());
    expect(store.size()).toBe(1);
    expect(await store.put(challenge())).toBe(true);
  });
}
