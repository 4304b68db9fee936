import type { Redis } from 'ioredis';
import { afterEach, describe, expect, test } from 'vitest';
import { nowSeconds } from '../../src/core/clock.js';
import { type ChallengeCaps, createMemoryChallengeStore, type ChallengeStore } from '../../src/features/auth/challenge-store.js';
import { createRedisChallengeStore } from '../../src/storage/redis/redis-challenge-store.js';
import { eventually } from '../support/eventually.js';
import { useRedisScratch } from '../support/redis-scratch.js';
import { requireRedis } from '../support/services.js';
import { challengeStoreContract } from './challenge-store.contract.js';

const available = await requireRedis('test/auth/challenge-store.test.ts');

const ROOMY: ChallengeCaps = { maxPending: 1_000, maxPendingPerAddress: 1_000 };

/** Stores opened in a test, closed after it. */
function useStores() {
  const open: Array<{ close(): void }> = [];
  afterEach(() =>
    open.splice(0).forEach((store) => {
      store.close();
    }),
  );
  return <T extends { close(): void }>(store: T): T => {
    open.push(store);
    return store;
  };
}

describe('memory challenge store', () => {
  const track = useStores();
  let current: ChallengeStore | undefined;
  afterEach(() => {
    current = undefined;
  });
  // One process is one node: every node() of a test is the same store.
  challengeStoreContract(() => ({
    node: async (caps = {}) => (current ??= track(createMemoryChallengeStore({ ...ROOMY, ...caps }, nowSeconds))),
  }));
});

describe.runIf(available)('Redis challenge store', () => {
  const scratch = useRedisScratch();
  const track = useStores();
  afterEach(() => scratch.clear());
  const node = async (caps: Partial<ChallengeCaps> = {}, redis?: Redis) =>
    track(createRedisChallengeStore(redis ?? (await scratch.connect()), { keyPrefix: scratch.prefix, caps: { ...ROOMY, ...caps }, now: nowSeconds }));
  challengeStoreContract(() => ({ node }));

  test('a challenge is one key with a PX expiry, gone from Redis when it expires; the nonce is stored as base64', async () => {
    // The node's clock stands still, so its own sweep (every 5 s) never sees the expiry either.
    const at = nowSeconds();
    const store = track(createRedisChallengeStore(await scratch.connect(), { keyPrefix: scratch.prefix, caps: ROOMY, now: () => at }));
    const nonce = Buffer.from('nonce bytes \u0000\u00ff');
    const id = 'px-test';
    await store.put({ id, key: 'k', keyType: 'ed25519', nonce, expiresAt: at + 2, address: 'a' });
    const admin = await scratch.admin();
    expect(JSON.parse((await admin.get(scratch.prefix + id)) ?? '')).toMatchObject({ nonce: nonce.toString('base64') });
    const pttl = await admin.pttl(scratch.prefix + id);
    expect(pttl).toBeGreaterThan(1_000); // a second of room for a slow machine
    expect(pttl).toBeLessThanOrEqual(2_000);
    await eventually(async () => (await admin.exists(scratch.prefix + id)) === 0);
    expect(store.size()).toBe(1); // this node cannot see that it expired before its next sweep
  });

  test('put never overwrites a pending challenge of the same id', async () => {
    const [a, b] = [await node(), await node()];
    const first = { id: 'same', key: 'a', keyType: 'ed25519' as const, nonce: Buffer.from('1'), expiresAt: nowSeconds() + 60, address: 'a' };
    expect(await a.put(first)).toBe('stored');
    expect(await b.put({ ...first, key: 'b' })).toBe('full');
    expect(await b.take('same', nowSeconds())).toMatchObject({ key: 'a' });
  });

  test('put and take reject with 503 while Redis is out of reach', async () => {
    const redis = await scratch.connect();
    const store = await node({ maxPending: 10 }, redis);
    redis.disconnect();
    const unavailable = { status: 503, code: 'REDIS_UNAVAILABLE' };
    await expect(
      store.put({ id: 'x', key: 'k', keyType: 'ed25519', nonce: Buffer.alloc(1), expiresAt: nowSeconds() + 60, address: 'a' }),
    ).rejects.toMatchObject(unavailable);
    await expect(store.take('x', nowSeconds())).rejects.toMatchObject(unavailable);
  });
});
