/**
 * What every ChallengeStore driver must do. `node(caps)` is the store of another server process; the
 * in-process store is the whole deployment, so there every node is the same store. `maxPending`
 * bounds what one node puts (the Redis store's bound is per node); `maxPendingPerAddress` holds on
 * every node together.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { expect, test } from 'vitest';
import type { Challenge, ChallengeCaps, ChallengeStore } from '../../src/features/auth/challenge-store.js';
import { nowSeconds } from '../../src/core/clock.js';

export interface ChallengeNodes {
  node(caps?: Partial<ChallengeCaps>): Promise<ChallengeStore>;
}

const challenge = (ttlSeconds = 60, address = '127.0.0.1'): Challenge => ({
  id: randomUUID(),
  key: randomBytes(32).toString('hex'),
  keyType: 'ed25519',
  nonce: randomBytes(32),
  expiresAt: nowSeconds() + ttlSeconds,
  address,
});

export function challengeStoreContract(nodes: () => ChallengeNodes): void {
  test('a challenge put on one node is taken once on another, whole; a second take finds nothing', async () => {
    const [a, b] = [await nodes().node(), await nodes().node()];
    const put = { ...challenge(), keyType: 'x25519' as const };
    expect(await a.put(put)).toBe('stored');
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
    const store = await nodes().node({ maxPending: 2 });
    const [first, second] = [challenge(), challenge()];
    expect(await store.put(first)).toBe('stored');
    expect(await store.put(second)).toBe('stored');
    expect(store.size()).toBe(2);
    expect(await store.put(challenge())).toBe('full');
    await store.take(first.id, nowSeconds());
    expect(store.size()).toBe(1);
    expect(await store.put(challenge())).toBe('stored');
  });

  test('one address holds at most maxPendingPerAddress unexpired challenges, on every node together; other addresses still get theirs', async () => {
    const caps = { maxPendingPerAddress: 2 };
    const [a, b] = [await nodes().node(caps), await nodes().node(caps)];
    const attacker = '2001:db8:1:2::/64';
    // Expired ones do not count (and the Redis store does not even keep them).
    expect(await a.put(challenge(-1, attacker))).toBe('stored');
    const first = challenge(60, attacker);
    expect(await a.put(first)).toBe('stored');
    expect(await b.put(challenge(60, attacker))).toBe('stored');
    expect(await a.put(challenge(60, attacker))).toBe('address-full');
    expect(await b.put(challenge(60, attacker))).toBe('address-full');
    expect(await b.put(challenge(60, '192.0.2.7'))).toBe('stored');
    // Answering one frees its place.
    expect(await b.take(first.id, nowSeconds())).toMatchObject({ id: first.id });
    expect(await a.put(challenge(60, attacker))).toBe('stored');
  });
}
