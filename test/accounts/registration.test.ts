/** POST /api/v1/register: the upsert, signed-prekey verification, validation of hostile input, limits. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sign } from 'whispr-sdk';
import { startServer, type RunningServer } from '../support/test-server.js';
import { b64, expectError, fetchBundle, identityKey, LIFTED, phoneHash, register, registerRaw, registration, x25519, type ApiResponse } from './account-kit.js';

let srv: RunningServer;
beforeAll(async () => {
  // compat: bundles can be read without a token, which keeps the "was anything stored?" checks short.
  srv = await startServer({ ...LIFTED, security: 'compat', max_one_time_prekeys: 1000 });
});
afterAll(() => srv.stop());

/** 4xx in the Whispr error shape, never a 5xx. */
function expectClientError(res: ApiResponse, status?: number, code?: string): void {
  expect(res.status, JSON.stringify(res.body)).toBeGreaterThanOrEqual(400);
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(500);
  if (status !== undefined) expectError(res, status, code);
  else expect(res.body).toEqual({ detail: expect.any(String), error_code: expect.any(String), timestamp: expect.any(Number) });
}

async function expectNotStored(hash: string): Promise<void> {
  expectError(await fetchBundle(srv, hash), 404, 'USER_NOT_FOUND');
}

describe('accepted registrations', () => {
  test('a valid registration answers {status, user_id} and publishes exactly the uploaded keys', async () => {
    const reg = registration([7]);
    const res = await register(srv, reg.body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ status: 'registered', user_id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/) });
    const bundle = await fetchBundle(srv, reg.phoneHash);
    expect(bundle.status).toBe(200);
    expect(bundle.body).toEqual({
      user_id: res.body.user_id,
      identity_key: reg.body.identity_key,
      signed_prekey: reg.body.signed_prekey,
      prekey_signature: reg.body.prekey_signature,
      one_time_prekey: reg.body.one_time_prekeys[0],
    });
  });

  test('an uppercase phone_hash is the same account as its lowercase form', async () => {
    const reg = registration([1]);
    const first = await register(srv, { ...reg.body, phone_hash: reg.phoneHash.toUpperCase() });
    expect(first.status).toBe(200);
    const bundle = await fetchBundle(srv, reg.phoneHash);
    expect(bundle.body.user_id).toBe(first.body.user_id);
  });

  test('re-registering keeps the user_id and replaces identity key, signed prekey and signature', async () => {
    const first = registration([1, 2]);
    const a = await register(srv, first.body);
    const second = registration([3], { phoneHash: first.phoneHash });
    const b = await register(srv, second.body);
    expect(b.status).toBe(200);
    expect(b.body.user_id).toBe(a.body.user_id);
    const bundle = await fetchBundle(srv, first.phoneHash);
    expect(bundle.body).toMatchObject({
      user_id: a.body.user_id,
      identity_key: second.body.identity_key,
      signed_prekey: second.body.signed_prekey,
      prekey_signature: second.body.prekey_signature,
    });
    expect(bundle.body.signed_prekey).not.toBe(first.body.signed_prekey);
  });

  test('re-uploading a used key_id makes it unused again with the new public key', async () => {
    const first = registration([1, 2]);
    await register(srv, first.body);
    const claimed = await fetchBundle(srv, first.phoneHash);
    expect(claimed.body.one_time_prekey).toEqual(first.body.one_time_prekeys[0]);

    const again = registration([1], { phoneHash: first.phoneHash, identity: first.identity });
    expect((await register(srv, again.body)).status).toBe(200);
    const seen = [(await fetchBundle(srv, first.phoneHash)).body.one_time_prekey, (await fetchBundle(srv, first.phoneHash)).body.one_time_prekey];
    // Key 2 (older) and the re-uploaded key 1 (new public key), each exactly once; then none.
    expect(seen).toEqual([first.body.one_time_prekeys[1], again.body.one_time_prekeys[0]]);
    expect((await fetchBundle(srv, first.phoneHash)).body.one_time_prekey).toBeNull();
  });

  test('the original client camelCase entries {keyId, publicKey} are accepted', async () => {
    const reg = registration([]);
    const pk = b64(x25519().publicKey);
    const res = await register(srv, { ...reg.body, one_time_prekeys: [{ keyId: 42, publicKey: pk }] });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect((await fetchBundle(srv, reg.phoneHash)).body.one_time_prekey).toEqual({ key_id: 42, public_key: pk });
  });

  test('snake_case and camelCase entries may be mixed in one upload', async () => {
    const reg = registration([]);
    const [p1, p2] = [b64(x25519().publicKey), b64(x25519().publicKey)];
    const res = await register(srv, {
      ...reg.body,
      one_time_prekeys: [
        { key_id: 1, public_key: p1 },
        { keyId: 2, publicKey: p2 },
      ],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const keys = [(await fetchBundle(srv, reg.phoneHash)).body.one_time_prekey, (await fetchBundle(srv, reg.phoneHash)).body.one_time_prekey];
    expect(keys).toEqual([
      { key_id: 1, public_key: p1 },
      { key_id: 2, public_key: p2 },
    ]);
  });

  test('prekeys of 33 bytes with the 0x05 type byte are accepted (signature over those 33 bytes)', async () => {
    const identity = identityKey();
    const spk = Buffer.concat([Buffer.from([5]), x25519().publicKey]);
    const otpk = b64(Buffer.concat([Buffer.from([5]), x25519().publicKey]));
    const hash = phoneHash();
    const res = await register(srv, {
      phone_hash: hash,
      identity_key: b64(identity.publicKey),
      signed_prekey: b64(spk),
      prekey_signature: b64(sign(identity, spk)),
      one_time_prekeys: [{ key_id: 0, public_key: otpk }],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect((await fetchBundle(srv, hash)).body).toMatchObject({ signed_prekey: b64(spk), one_time_prekey: { key_id: 0, public_key: otpk } });
  });

  test('unknown extra fields are ignored, as pydantic ignores them', async () => {
    const reg = registration([1]);
    const res = await register(srv, { ...reg.body, extra: 1, one_time_prekeys: [{ ...reg.body.one_time_prekeys[0], extra: 'x' }] });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect((await fetchBundle(srv, reg.phoneHash)).body.one_time_prekey).toEqual(reg.body.one_time_prekeys[0]);
  });

  test('200 prekeys in one request are accepted (the upper bound)', async () => {
    const reg = registration(Array.from({ length: 200 }, (_, i) => i));
    expect((await register(srv, reg.body)).status).toBe(200);
  });
});

describe('refused registrations store nothing', () => {
  test('a prekey_signature by another key is 422 INVALID_PREKEY_SIGNATURE', async () => {
    const reg = registration();
    const res = await register(srv, { ...reg.body, prekey_signature: b64(sign(identityKey(), reg.signedPrekey)) });
    expectError(res, 422, 'INVALID_PREKEY_SIGNATURE');
    await expectNotStored(reg.phoneHash);
  });

  test('a prekey_signature over other bytes (or all zero) is 422', async () => {
    const reg = registration();
    expectError(await register(srv, { ...reg.body, prekey_signature: b64(sign(reg.identity, x25519().publicKey)) }), 422, 'INVALID_PREKEY_SIGNATURE');
    expectError(await register(srv, { ...reg.body, prekey_signature: b64(Buffer.alloc(64)) }), 422, 'INVALID_PREKEY_SIGNATURE');
    expectClientError(await register(srv, { ...reg.body, prekey_signature: b64(Buffer.alloc(63, 1)) }), 422);
    await expectNotStored(reg.phoneHash);
  });

  test('a bad signature on re-registration leaves the existing keys in place', async () => {
    const reg = registration([1, 2]);
    await register(srv, reg.body);
    const forged = registration([9], { phoneHash: reg.phoneHash });
    expectError(await register(srv, { ...forged.body, prekey_signature: reg.body.prekey_signature }), 422, 'INVALID_PREKEY_SIGNATURE');
    const bundle = await fetchBundle(srv, reg.phoneHash);
    expect(bundle.body).toMatchObject({ identity_key: reg.body.identity_key, signed_prekey: reg.body.signed_prekey, one_time_prekey: { key_id: 1 } });
    expect((await fetchBundle(srv, reg.phoneHash)).body.one_time_prekey.key_id).toBe(2);
    expect((await fetchBundle(srv, reg.phoneHash)).body.one_time_prekey).toBeNull();
  });

  test.each([
    ['identity_key of 31 bytes', (id: Uint8Array) => ({ identity_key: b64(id.subarray(0, 31)) })],
    ['identity_key of 33 bytes', (id: Uint8Array) => ({ identity_key: b64(Buffer.concat([Buffer.from([5]), id])) })],
    ['signed_prekey of 31 bytes', () => ({ signed_prekey: b64(Buffer.alloc(31, 1)) })],
    ['signed_prekey of 33 bytes without the 0x05 prefix', () => ({ signed_prekey: b64(Buffer.alloc(33, 1)) })],
    ['one-time prekey of 16 bytes', () => ({ one_time_prekeys: [{ key_id: 1, public_key: b64(Buffer.alloc(16, 1)) }] })],
    [
      'one-time prekey of 33 bytes with a 0x06 prefix',
      () => ({ one_time_prekeys: [{ key_id: 1, public_key: b64(Buffer.concat([Buffer.from([6]), Buffer.alloc(32, 1)])) }] }),
    ],
    ['signed_prekey empty', () => ({ signed_prekey: '' })],
  ])('%s is 422', async (_name, patch) => {
    const reg = registration();
    expectClientError(await register(srv, { ...reg.body, ...patch(reg.identity.publicKey) }), 422);
    await expectNotStored(reg.phoneHash);
  });

  test.each([
    ['identity_key with a character outside base64', { identity_key: '!'.repeat(44) }],
    ['identity_key without padding', { identity_key: Buffer.alloc(32, 1).toString('base64').replace(/=+$/, '') }],
    ['identity_key in base64url', { identity_key: `${Buffer.alloc(32, 0xfb).toString('base64url')}=` }],
    ['signed_prekey with whitespace', { signed_prekey: ` ${b64(Buffer.alloc(32, 1))}` }],
    ['one-time prekey not base64', { one_time_prekeys: [{ key_id: 1, public_key: '%%%%' }] }],
  ])('%s is 422', async (_name, patch) => {
    const reg = registration();
    expectClientError(await register(srv, { ...reg.body, ...patch }), 422);
    await expectNotStored(reg.phoneHash);
  });

  test.each([
    ['non-hex', 'g'.repeat(64)],
    ['63 characters', 'a'.repeat(63)],
    ['65 characters', 'a'.repeat(65)],
    ['empty', ''],
    ['a number', 12345],
    ['null', null],
  ])('phone_hash %s is 422', async (_name, value) => {
    const reg = registration();
    expectError(await register(srv, { ...reg.body, phone_hash: value }), 422);
  });

  test('0 and 201 one-time prekeys are 422', async () => {
    const none = registration([]);
    expectError(await register(srv, none.body), 422);
    await expectNotStored(none.phoneHash);
    const many = registration(Array.from({ length: 201 }, (_, i) => i));
    expectError(await register(srv, many.body), 422);
    await expectNotStored(many.phoneHash);
  });

  test('a key_id twice in one request is 422 DUPLICATE_PREKEY_ID', async () => {
    const reg = registration([1, 2, 1]);
    expectError(await register(srv, reg.body), 422, 'DUPLICATE_PREKEY_ID');
    await expectNotStored(reg.phoneHash);
    // The same id once in snake_case and once in camelCase is a duplicate too.
    const mixed = registration([]);
    const pk = b64(x25519().publicKey);
    expectError(
      await register(srv, {
        ...mixed.body,
        one_time_prekeys: [
          { key_id: 5, public_key: pk },
          { keyId: 5, publicKey: pk },
        ],
      }),
      422,
      'DUPLICATE_PREKEY_ID',
    );
    await expectNotStored(mixed.phoneHash);
  });

  test.each([
    ['key_id as a string', { key_id: '1' }],
    ['key_id negative', { key_id: -1 }],
    ['key_id fractional', { key_id: 1.5 }],
    ['key_id above 2^53 - 1 (not exact as a JS number)', { key_id: 2 ** 53 }],
    ['key_id null', { key_id: null }],
    ['public_key as a number', { public_key: 7 }],
  ])('%s is 422', async (_name, patch) => {
    const reg = registration([1]);
    expectClientError(await register(srv, { ...reg.body, one_time_prekeys: [{ ...reg.body.one_time_prekeys[0], ...patch }] }), 422);
    await expectNotStored(reg.phoneHash);
  });

  test.each([
    ['one_time_prekeys as an object', { one_time_prekeys: { key_id: 1, public_key: b64(Buffer.alloc(32, 1)) } }],
    ['one_time_prekeys as a string', { one_time_prekeys: 'x' }],
    ['an entry that is a string', { one_time_prekeys: ['x'] }],
    ['identity_key as an array', { identity_key: [1, 2, 3] }],
    ['prekey_signature missing', { prekey_signature: undefined }],
  ])('%s is 422', async (_name, patch) => {
    const reg = registration();
    expectClientError(await register(srv, { ...reg.body, ...patch }), 422);
    await expectNotStored(reg.phoneHash);
  });

  test('NaN, Infinity and 1e309 in key_id (raw JSON text) are 4xx', async () => {
    const reg = registration([1]);
    const text = JSON.stringify(reg.body);
    for (const bad of ['NaN', 'Infinity', '1e309', '-1e309', '1e3']) {
      const res = await registerRaw(srv, text.replace('"key_id":1', `"key_id":${bad}`));
      if (bad === '1e3') {
        // 1e3 is the integer 1000 in JSON.
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        continue;
      }
      expectClientError(res);
    }
    expect((await fetchBundle(srv, reg.phoneHash)).body.one_time_prekey.key_id).toBe(1000);
  });

  test('lone surrogates anywhere in the body are 4xx', async () => {
    const reg = registration([1]);
    const text = JSON.stringify(reg.body);
    for (const raw of [
      text.replace(`"${reg.phoneHash}"`, '"\\ud800"'),
      text.replace('"key_id":1', '"key_id":1,"\\udfff":1'),
      text.replace('{', '{"x":"a\\udc00b",'),
    ]) {
      expectClientError(await registerRaw(srv, raw));
    }
    await expectNotStored(reg.phoneHash);
  });

  test('a body that is not an object is 4xx', async () => {
    for (const raw of ['[]', '"register"', '42', 'null', 'true', '', '{', '{"phone_hash":']) {
      const res = await registerRaw(srv, raw);
      expectClientError(res);
    }
  });

  test('a wrong content type is 4xx', async () => {
    const reg = registration();
    const res = await fetch(new URL('/api/v1/register', srv.url), {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify(reg.body),
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    await expectNotStored(reg.phoneHash);
  });

  test('a body over the size limit is 413 and nothing is stored', async () => {
    const reg = registration([1]);
    const res = await register(srv, { ...reg.body, padding: 'x'.repeat(70_000) });
    expectError(res, 413);
    await expectNotStored(reg.phoneHash);
  });
});

describe('the one-time prekey cap', () => {
  let capped: RunningServer;
  beforeAll(async () => {
    capped = await startServer({ ...LIFTED, security: 'compat', max_one_time_prekeys: 5 });
  });
  afterAll(() => capped.stop());

  test('more than max_one_time_prekeys in one upload is 422 TOO_MANY_PREKEYS and nothing is stored', async () => {
    const reg = registration([1, 2, 3, 4, 5, 6]);
    expectError(await register(capped, reg.body), 422, 'TOO_MANY_PREKEYS');
    expectError(await fetchBundle(capped, reg.phoneHash), 404, 'USER_NOT_FOUND');
  });

  test('an upload that would leave too many unused is refused whole; used ones do not count', async () => {
    const reg = registration([1, 2, 3]);
    expect((await register(capped, reg.body)).status).toBe(200);
    const more = registration([4, 5, 6], { phoneHash: reg.phoneHash });
    expectError(await register(capped, more.body), 422, 'TOO_MANY_PREKEYS');
    // The refused upload changed nothing: the old signed prekey, and keys 1-3 only.
    const first = await fetchBundle(capped, reg.phoneHash);
    expect(first.body).toMatchObject({ signed_prekey: reg.body.signed_prekey, one_time_prekey: reg.body.one_time_prekeys[0] });
    // 2 unused + 3 new = 5: allowed now that key 1 is used.
    expect((await register(capped, more.body)).status).toBe(200);
    const ids: number[] = [];
    for (;;) {
      const otpk = (await fetchBundle(capped, reg.phoneHash)).body.one_time_prekey;
      if (otpk === null) break;
      ids.push(otpk.key_id);
    }
    expect(ids.sort()).toEqual([2, 3, 4, 5, 6]);
  });

  test('exactly max_one_time_prekeys is accepted', async () => {
    expect((await register(capped, registration([1, 2, 3, 4, 5]).body)).status).toBe(200);
  });
});

describe('the register rate limit', () => {
  let limited: RunningServer;
  beforeAll(async () => {
    limited = await startServer({ security: 'compat' });
  });
  afterAll(() => limited.stop());

  test('the 11th registration within the hour from one address is 429 with Retry-After', async () => {
    for (let i = 0; i < 10; i++) {
      const res = await register(limited, registration([1]).body);
      expect(res.status, `registration ${i + 1}`).toBe(200);
    }
    const reg = registration([1]);
    const refused = await register(limited, reg.body);
    expectError(refused, 429, 'RATE_LIMITED');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Refused before anything was read or stored; invalid bodies are counted too (limit before validation).
    expect((await fetchBundle(limited, reg.phoneHash)).status).toBe(404);
    expect((await register(limited, {})).status).toBe(429);
  });
});
