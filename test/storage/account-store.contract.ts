/** What every AccountStore driver must do, single-node and with two nodes on one database. */
import { expect, test } from 'vitest';
import type { AccountStore, KeyOwner, Registration } from '../../src/features/accounts/account-store.js';
import type { SqlBackend } from './backends.js';

export const ACCOUNT_TABLES = ['one_time_prekeys', 'phone_accounts', 'account_auth_nonces'];

const PHONE = 'p'.repeat(64);
const OTHER_PHONE = 'q'.repeat(64);
const ANYONE: KeyOwner = { anyone: true };
const owner = (userId: string | undefined): KeyOwner => ({ anyone: false, userId });

/** Public key bytes of prekey `keyId`, in version `tag` (every byte value, to see bytes come back as sent). */
const prekeyBytes = (keyId: number, tag = 1) => Buffer.from([tag, 0x00, 0xff, ...Buffer.from(`prekey-${keyId}`)]);
const keysOf = (tag: number) => ({ identityKey: Buffer.alloc(32, tag), signedPrekey: Buffer.alloc(33, tag + 1), prekeySignature: Buffer.alloc(64, tag + 2) });
const registration = (phoneHash: string, keyIds: number[], tag = 1): Registration => ({
  phoneHash,
  ...keysOf(tag),
  oneTimePrekeys: keyIds.map((keyId) => ({ keyId, publicKey: prekeyBytes(keyId, tag) })),
});

export function accountStoreContract(backend: () => SqlBackend<AccountStore>): void {
  /** The key ids the next `n` bundles hand out (null: none left). */
  const claimIds = async (store: AccountStore, n: number, now = 2000) => {
    const ids: Array<number | null> = [];
    for (let i = 0; i < n; i++) ids.push((await store.claimBundle(PHONE, now))?.oneTimePrekey?.keyId ?? null);
    return ids;
  };

  test('register creates the account under the new id; it is found by phone hash and by id, bytes as stored', async () => {
    const store = await backend().node();
    expect(await store.register(registration(PHONE, [1, 2]), 'id-1', ANYONE, 10, 1000)).toEqual({ status: 'registered', userId: 'id-1' });
    const account = { id: 'id-1', phoneHash: PHONE, ...keysOf(1) };
    expect(await store.findByPhoneHash(PHONE)).toEqual(account);
    expect(await store.findById('id-1')).toEqual(account);
    expect(await store.findByPhoneHash(OTHER_PHONE)).toBeUndefined();
    expect(await store.findById('id-2')).toBeUndefined();
    expect(await store.unusedPrekeys('id-1')).toBe(2);
    expect(await store.count()).toBe(1);
  });

  test('claimBundle hands out the oldest unused prekey (by upload time, then key id) once each, then none', async () => {
    const store = await backend().node();
    await store.register(registration(PHONE, [7, 3]), 'id-1', ANYONE, 10, 1000);
    await store.register(registration(PHONE, [1, Number.MAX_SAFE_INTEGER]), 'id-x', ANYONE, 10, 1001);
    const first = await store.claimBundle(PHONE, 2000);
    expect(first).toEqual({ id: 'id-1', phoneHash: PHONE, ...keysOf(1), oneTimePrekey: { keyId: 3, publicKey: prekeyBytes(3) } });
    expect(await claimIds(store, 4)).toEqual([7, 1, Number.MAX_SAFE_INTEGER, null]);
    expect(await store.claimBundle(PHONE, 2000)).toEqual({ id: 'id-1', phoneHash: PHONE, ...keysOf(1), oneTimePrekey: null });
    expect(await store.claimBundle(OTHER_PHONE, 2000)).toBeUndefined();
    expect(await store.unusedPrekeys('id-1')).toBe(0);
  });

  test('re-registering keeps the id, replaces the keys, and upserts prekeys by key id as unused again', async () => {
    const store = await backend().node();
    await store.register(registration(PHONE, [1, 2, 3]), 'id-1', ANYONE, 10, 1000);
    expect(await claimIds(store, 2)).toEqual([1, 2]);
    expect(await store.register(registration(PHONE, [2, 4], 5), 'id-2', ANYONE, 10, 1100)).toEqual({ status: 'registered', userId: 'id-1' });
    expect(await store.findByPhoneHash(PHONE)).toEqual({ id: 'id-1', phoneHash: PHONE, ...keysOf(5) });
    expect(await store.unusedPrekeys('id-1')).toBe(3);
    const next = await store.claimBundle(PHONE, 2000);
    expect(next?.oneTimePrekey).toEqual({ keyId: 3, publicKey: prekeyBytes(3, 1) }); // uploaded first
    expect((await store.claimBundle(PHONE, 2000))?.oneTimePrekey).toEqual({ keyId: 2, publicKey: prekeyBytes(2, 5) }); // new bytes
    expect(await claimIds(store, 2)).toEqual([4, null]);
    expect(await store.count()).toBe(1);
  });

  test('a key id given twice in one registration counts once, with its last key', async () => {
    const store = await backend().node();
    const twice = { ...registration(PHONE, [1]), oneTimePrekeys: [1, 2, 1].map((keyId, i) => ({ keyId, publicKey: prekeyBytes(keyId, i) })) };
    expect(await store.register(twice, 'id-1', ANYONE, 2, 1000)).toMatchObject({ status: 'registered' });
    expect(await store.unusedPrekeys('id-1')).toBe(2);
    expect((await store.claimBundle(PHONE, 2000))?.oneTimePrekey).toEqual({ keyId: 1, publicKey: prekeyBytes(1, 2) });
  });

  test("an existing phone hash is 'taken' unless the owner rule covers it; a refusal changes nothing", async () => {
    const store = await backend().node();
    expect(await store.register(registration(PHONE, [1]), 'id-1', owner(undefined), 10, 1000)).toEqual({ status: 'registered', userId: 'id-1' });
    for (const who of [owner(undefined), owner('id-other')]) {
      expect(await store.register(registration(PHONE, [2, 3], 9), 'id-2', who, 10, 1100)).toEqual({ status: 'taken' });
    }
    expect(await store.findByPhoneHash(PHONE)).toEqual({ id: 'id-1', phoneHash: PHONE, ...keysOf(1) });
    expect(await store.unusedPrekeys('id-1')).toBe(1);
    expect(await store.register(registration(PHONE, [2], 3), 'id-3', owner('id-1'), 10, 1200)).toEqual({ status: 'registered', userId: 'id-1' });
    expect(await store.register(registration(PHONE, [3], 4), 'id-4', ANYONE, 10, 1300)).toEqual({ status: 'registered', userId: 'id-1' });
    expect(await store.findByPhoneHash(PHONE)).toEqual({ id: 'id-1', phoneHash: PHONE, ...keysOf(4) });
    expect(await store.unusedPrekeys('id-1')).toBe(3);
    expect(await store.count()).toBe(1);
  });

  test('more than maxUnused unused prekeys refuses the registration and rolls all of it back', async () => {
    const store = await backend().node();
    expect(await store.register(registration(PHONE, [1, 2, 3, 4]), 'id-1', ANYONE, 3, 1000)).toEqual({ status: 'too_many_prekeys', unused: 4 });
    expect(await store.findByPhoneHash(PHONE)).toBeUndefined();
    expect(await store.count()).toBe(0);
    expect(await backend().rows('one_time_prekeys')).toBe(0);

    expect(await store.register(registration(PHONE, [1, 2, 3]), 'id-1', ANYONE, 3, 1000)).toMatchObject({ status: 'registered' }); // exactly the cap
    await claimIds(store, 1);
    expect(await store.register(registration(PHONE, [2, 10, 11], 7), 'id-2', ANYONE, 3, 1100)).toEqual({ status: 'too_many_prekeys', unused: 4 });
    expect(await store.findByPhoneHash(PHONE)).toEqual({ id: 'id-1', phoneHash: PHONE, ...keysOf(1) }); // keys not replaced either
    expect(await store.unusedPrekeys('id-1')).toBe(2);
    expect(await claimIds(store, 3)).toEqual([2, 3, null]); // key 1 stays used
  });

  test('useNonce accepts a nonce once per phone hash, expired or not, until purged; an issued nonce is known too', async () => {
    const store = await backend().node();
    expect(await store.useNonce(PHONE, 'n1', 1100, 1000)).toBe(true);
    expect(await store.useNonce(PHONE, 'n1', 1100, 1000)).toBe(false);
    expect(await store.useNonce(PHONE, 'n1', 1100, 5000)).toBe(false); // expired, not purged
    expect(await store.useNonce(OTHER_PHONE, 'n1', 1100, 1000)).toBe(true);
    await store.issueNonce(PHONE, 'n2', 1100);
    expect(await store.useNonce(PHONE, 'n2', 1100, 1000)).toBe(false);
    expect(await store.redeemIssuedNonce(PHONE, 'n2', 1000)).toBe(true);
    expect(await store.purgeUsedPrekeys(0, 1100)).toBe(0);
    expect(await store.useNonce(PHONE, 'n1', 1200, 1100)).toBe(true);
  });

  test('an issued nonce is redeemed once, before it expires, by its phone hash only', async () => {
    const store = await backend().node();
    await store.issueNonce(PHONE, 'n1', 1100);
    await store.issueNonce(PHONE, 'n2', 1100);
    expect(await store.redeemIssuedNonce(OTHER_PHONE, 'n1', 1000)).toBe(false);
    expect(await store.redeemIssuedNonce(PHONE, 'n1', 1099.5)).toBe(true);
    expect(await store.redeemIssuedNonce(PHONE, 'n1', 1000)).toBe(false);
    expect(await store.redeemIssuedNonce(PHONE, 'n2', 1100)).toBe(false); // expired
    expect(await store.redeemIssuedNonce(PHONE, 'unknown', 1000)).toBe(false);
    await store.useNonce(PHONE, 'n3', 1100, 1000);
    expect(await store.redeemIssuedNonce(PHONE, 'n3', 1000)).toBe(false); // used, never issued
  });

  test('purgeUsedPrekeys deletes prekeys used at or before the cutoff and expired nonces; it counts the prekeys', async () => {
    const store = await backend().node();
    await store.register(registration(PHONE, [1, 2, 3]), 'id-1', ANYONE, 10, 1000);
    await store.claimBundle(PHONE, 1500);
    await store.claimBundle(PHONE, 1600);
    await store.issueNonce(PHONE, 'old', 1700);
    await store.issueNonce(PHONE, 'new', 1800);
    expect(await store.purgeUsedPrekeys(1499, 1000)).toBe(0);
    expect(await store.purgeUsedPrekeys(1500, 1700)).toBe(1);
    expect(await backend().rows('one_time_prekeys')).toBe(2);
    expect(await backend().rows('account_auth_nonces')).toBe(1);
    expect(await store.redeemIssuedNonce(PHONE, 'new', 1700)).toBe(true);
    expect(await store.unusedPrekeys('id-1')).toBe(1); // unused prekeys are never purged
  });

  test('touch records when the account was last seen', async () => {
    const store = await backend().node();
    await store.register(registration(PHONE, []), 'id-1', ANYONE, 10, 1000);
    await store.register(registration(OTHER_PHONE, []), 'id-2', ANYONE, 10, 1000);
    await store.touch('id-1', 1234.5);
    await store.touch('unknown', 1235);
    expect(await backend().select('SELECT id, last_seen FROM phone_accounts ORDER BY id')).toEqual([
      { id: 'id-1', last_seen: 1234.5 },
      { id: 'id-2', last_seen: null },
    ]);
  });

  test('two nodes, 100 bundle fetches at once for 50 prekeys: 50 distinct prekeys and 50 without', async () => {
    const nodes = [await backend().node(), await backend().node()];
    const keyIds = Array.from({ length: 50 }, (_, i) => i + 1);
    await (nodes[0] as AccountStore).register(registration(PHONE, keyIds), 'id-1', ANYONE, 100, 1000);
    const bundles = await Promise.all(Array.from({ length: 100 }, (_, i) => (nodes[i % 2] as AccountStore).claimBundle(PHONE, 2000)));
    expect(bundles.every((b) => b?.id === 'id-1')).toBe(true);
    const claimed = bundles.flatMap((b) => (b?.oneTimePrekey == null ? [] : [b.oneTimePrekey]));
    expect(claimed.map((p) => p.keyId).sort((a, b) => a - b)).toEqual(keyIds);
    expect(claimed.every((p) => p.publicKey.equals(prekeyBytes(p.keyId)))).toBe(true);
    expect(bundles.filter((b) => b?.oneTimePrekey === null)).toHaveLength(50);
    expect(await (nodes[1] as AccountStore).unusedPrekeys('id-1')).toBe(0);
  });

  test('two nodes registering one phone hash at once: one account, and the unused-prekey cap holds', async () => {
    const nodes = [await backend().node(), await backend().node()];
    // Ten uploads of three new prekeys each against a cap of 10: the first three fit, the rest do not.
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (nodes[i % 2] as AccountStore).register(registration(PHONE, [3 * i, 3 * i + 1, 3 * i + 2], i), `id-${i}`, ANYONE, 10, 1000 + i),
      ),
    );
    const registered = results.filter((r) => r.status === 'registered');
    expect(registered).toHaveLength(3);
    expect(new Set(registered.map((r) => r.userId)).size).toBe(1);
    expect(results.filter((r) => r.status === 'too_many_prekeys')).toHaveLength(7);
    expect(await (nodes[0] as AccountStore).count()).toBe(1);
    expect(await (nodes[0] as AccountStore).unusedPrekeys(registered[0]?.userId ?? '')).toBe(9);
  });

  test('two nodes using one nonce at once: accepted once; an issued nonce is redeemed once', async () => {
    const nodes = [await backend().node(), await backend().node()];
    const on = (i: number) => nodes[i % 2] as AccountStore;
    const used = await Promise.all(Array.from({ length: 20 }, (_, i) => on(i).useNonce(PHONE, 'n1', 1100, 1000)));
    expect(used.filter(Boolean)).toHaveLength(1);
    await on(0).issueNonce(PHONE, 'n2', 1100);
    const redeemed = await Promise.all(Array.from({ length: 20 }, (_, i) => on(i).redeemIssuedNonce(PHONE, 'n2', 1000)));
    expect(redeemed.filter(Boolean)).toHaveLength(1);
  });
}
