/** GET /api/v1/keys/{phone_hash} and GET /api/v1/keys: one-time prekeys are claimed once, oldest first. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startServer, type RunningServer } from '../support/test-server.js';
import { account, call, expectError, fetchBundle, LIFTED, loginToken, openDb, phoneHash, register, registration } from './account-kit.js';

let srv: RunningServer;
/** A token of some other account, to fetch bundles with in strict mode. */
let token: string;
beforeAll(async () => {
  srv = await startServer({ ...LIFTED });
  token = await (await account(srv, 1)).accessToken();
});
afterAll(() => srv.stop());

const claim = async (hash: string) => {
  const res = await fetchBundle(srv, hash, token);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.one_time_prekey as { key_id: number; public_key: string } | null;
};

describe('re-registration in strict mode', () => {
  test("only the account's own token may replace the keys of a registered phone_hash", async () => {
    const owner = registration([1, 2]);
    const first = await register(srv, owner.body);
    expect(first.status).toBe(200);
    // Someone who knows the phone hash, with keys of their own: without a token, and with another account's token.
    const intruder = registration([7], { phoneHash: owner.phoneHash });
    expectError(await register(srv, intruder.body), 409, 'ACCOUNT_EXISTS');
    expectError(await register(srv, intruder.body, token), 409, 'ACCOUNT_EXISTS');
    const bundle = await fetchBundle(srv, owner.phoneHash, token);
    expect(bundle.body.identity_key).toBe(owner.body.identity_key);
    expect(bundle.body.one_time_prekey).toEqual(owner.body.one_time_prekeys[0]);
    // The owner itself may.
    const renewed = registration([3], { phoneHash: owner.phoneHash, identity: owner.identity });
    const again = await register(srv, renewed.body, await loginToken(srv, owner));
    expect(again.body).toEqual({ status: 'registered', user_id: first.body.user_id });
  });
});

describe('prekey bundles', () => {
  test('each fetch hands out one prekey, oldest first, then null; the rest of the bundle stays the same', async () => {
    const reg = registration([10, 11]);
    const { body } = await register(srv, reg.body);
    // Uploaded later, so younger, although their ids are smaller.
    const later = registration([1, 2], { phoneHash: reg.phoneHash, identity: reg.identity });
    await new Promise((r) => setTimeout(r, 5));
    expect((await register(srv, later.body, await loginToken(srv, reg))).status).toBe(200);
    const bundles = [];
    for (let i = 0; i < 6; i++) bundles.push((await fetchBundle(srv, reg.phoneHash, token)).body);
    expect(bundles.map((b) => b.one_time_prekey)).toEqual([
      reg.body.one_time_prekeys[0],
      reg.body.one_time_prekeys[1],
      later.body.one_time_prekeys[0],
      later.body.one_time_prekeys[1],
      null,
      null,
    ]);
    for (const b of bundles) {
      expect(b).toEqual({
        user_id: body.user_id,
        identity_key: later.body.identity_key,
        signed_prekey: later.body.signed_prekey,
        prekey_signature: later.body.prekey_signature,
        one_time_prekey: b.one_time_prekey,
      });
    }
  });

  test('prekeys uploaded together come out in key_id order', async () => {
    const reg = registration([9, 3, 7, 1]);
    await register(srv, reg.body);
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push((await claim(reg.phoneHash))?.key_id);
    expect(ids).toEqual([1, 3, 7, 9]);
  });

  test('an unknown phone hash is 404 USER_NOT_FOUND; a malformed one is 422', async () => {
    expectError(await fetchBundle(srv, phoneHash(), token), 404, 'USER_NOT_FOUND');
    expectError(await fetchBundle(srv, 'zz'.repeat(32), token), 422);
    expectError(await fetchBundle(srv, 'ab', token), 422);
  });

  test('the phone hash in the path is case-insensitive', async () => {
    const reg = registration([1]);
    await register(srv, reg.body);
    expect(await claim(reg.phoneHash.toUpperCase())).toEqual(reg.body.one_time_prekeys[0]);
  });

  test('100 concurrent fetches of 50 prekeys: exactly 50 distinct prekeys and 50 nulls', async () => {
    const reg = registration(Array.from({ length: 50 }, (_, i) => i + 1));
    await register(srv, reg.body);
    const results = await Promise.all(Array.from({ length: 100 }, () => claim(reg.phoneHash)));
    const handed = results.filter((r) => r !== null);
    expect(results.filter((r) => r === null)).toHaveLength(50);
    expect(handed).toHaveLength(50);
    expect(new Set(handed.map((r) => r!.key_id)).size).toBe(50);
    expect(new Set(handed.map((r) => r!.public_key)).size).toBe(50);
    expect(new Set(handed.map((r) => r!.public_key))).toEqual(new Set(reg.body.one_time_prekeys.map((p) => p.public_key)));
  });

  test('the remaining count goes down with each claim, not below zero, and needs a token', async () => {
    const owner = await account(srv, 3);
    expect(await owner.remainingPrekeys()).toBe(3);
    await owner.bundle(owner.phoneHash);
    expect(await owner.remainingPrekeys()).toBe(2);
    const other = await account(srv, 1);
    await other.bundle(owner.phoneHash);
    await other.bundle(owner.phoneHash);
    await other.bundle(owner.phoneHash);
    expect(await owner.remainingPrekeys()).toBe(0);
    const res = await call(srv.url, 'GET', '/api/v1/keys', { token: await owner.accessToken() });
    expect(res.body).toEqual({ user_id: owner.userId, one_time_prekeys_remaining: 0 });

    expectError(await call(srv.url, 'GET', '/api/v1/keys'), 401);
    expectError(await call(srv.url, 'GET', '/api/v1/keys', { token: 'not-a-token' }), 401);
    // A token signed with another secret (another server's) is refused as well.
    const foreign = await startServer({ ...LIFTED });
    try {
      expectError(await call(srv.url, 'GET', '/api/v1/keys', { token: await (await account(foreign, 1)).accessToken() }), 401);
    } finally {
      await foreign.stop();
    }
  });

  test('the SDK bundle() returns the bundle and spends its prekey', async () => {
    const alice = await account(srv, 2);
    const bob = await account(srv, 1);
    const bundle = await bob.bundle(alice.phoneHash);
    expect(bundle.user_id).toBe(alice.userId);
    expect(bundle.one_time_prekey?.key_id).toBe(1);
    expect((await bob.bundle(alice.phoneHash)).one_time_prekey?.key_id).toBe(2);
    expect((await bob.bundle(alice.phoneHash)).one_time_prekey).toBeNull();
  });
});

describe('strict and compat modes', () => {
  test('strict: a bundle fetch without a valid account token is 401 and claims nothing', async () => {
    const reg = registration([1]);
    await register(srv, reg.body);
    expectError(await fetchBundle(srv, reg.phoneHash), 401);
    expectError(await fetchBundle(srv, reg.phoneHash, 'garbage'), 401);
    expectError(await fetchBundle(srv, phoneHash()), 401);
    expect(await claim(reg.phoneHash)).toEqual(reg.body.one_time_prekeys[0]);
  });

  test('compat: bundles are fetched without a token, as the original client does', async () => {
    const compat = await startServer({ ...LIFTED, security: 'compat' });
    try {
      const reg = registration([1]);
      await register(compat, reg.body);
      const res = await fetchBundle(compat, reg.phoneHash);
      expect(res.status).toBe(200);
      expect(res.body.one_time_prekey).toEqual(reg.body.one_time_prekeys[0]);
      expectError(await fetchBundle(compat, phoneHash()), 404, 'USER_NOT_FOUND');
    } finally {
      await compat.stop();
    }
  });
});

describe('the keys rate limit', () => {
  test('the 6th bundle fetch within a minute from one address is 429 with Retry-After', async () => {
    const limited = await startServer({ security: 'compat', account_keys_per_minute: 5 });
    try {
      const reg = registration([1, 2, 3, 4, 5, 6, 7]);
      await register(limited, reg.body);
      for (let i = 0; i < 5; i++) expect((await fetchBundle(limited, reg.phoneHash)).status, `fetch ${i + 1}`).toBe(200);
      const refused = await fetchBundle(limited, reg.phoneHash);
      expectError(refused, 429, 'RATE_LIMITED');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      // The refused fetch claimed nothing: 2 of 7 remain unused.
      const db = openDb(limited.config.data_dir);
      try {
        const row = db.prepare('SELECT count(*) AS n FROM one_time_prekeys WHERE used_at IS NULL').get() as { n: number };
        expect(row.n).toBe(2);
      } finally {
        db.close();
      }
    } finally {
      await limited.stop();
    }
  });
});
