/** POST /api/v1/auth/challenge and /api/v1/auth/token: Ed25519 login, nonces accepted once, token scope. */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sign, toHex } from 'whispr-sdk';
import { startServer, type RunningServer } from '../support/test-server.js';
import {
  accountSocket,
  call,
  decodeJwt,
  expectError,
  identityKey,
  LIFTED,
  openDb,
  phoneHash,
  register,
  registration,
  signNonce,
  type RegistrationParts,
} from './account-kit.js';

const challenge = (srv: RunningServer, hash: string) => call(srv.url, 'POST', '/api/v1/auth/challenge', { json: { phone_hash: hash } });
const login = (srv: RunningServer, body: Record<string, unknown>) => call(srv.url, 'POST', '/api/v1/auth/token', { json: body });

async function registered(srv: RunningServer): Promise<RegistrationParts & { userId: string }> {
  const reg = registration([1]);
  const res = await register(srv, reg.body);
  expect(res.status).toBe(200);
  return { ...reg, userId: res.body.user_id as string };
}

async function issuedNonce(srv: RunningServer, hash: string): Promise<string> {
  const res = await challenge(srv, hash);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.nonce as string;
}

describe('strict mode (default)', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer({ ...LIFTED, turn_secret: 'turn-secret-for-tests', turn_urls: ['turn:turn.example.test:3478'] });
  });
  afterAll(() => srv.stop());

  test('challenge -> signed nonce -> {token, expires_in: 1800, user_id}; the token works', async () => {
    const user = await registered(srv);
    const ch = await challenge(srv, user.phoneHash);
    expect(ch.status).toBe(200);
    expect(ch.body).toEqual({ nonce: expect.stringMatching(/^[0-9a-f]{64}$/), expires_in: srv.config.challenge_ttl_seconds });
    const res = await login(srv, { phone_hash: user.phoneHash, nonce: ch.body.nonce, signature: signNonce(user.identity, ch.body.nonce) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ token: expect.any(String), expires_in: 1800, user_id: user.userId });
    const own = await call(srv.url, 'GET', '/api/v1/keys', { token: res.body.token });
    expect(own.body).toEqual({ user_id: user.userId, one_time_prekeys_remaining: 1 });
  });

  test('each challenge is a new nonce', async () => {
    const user = await registered(srv);
    const nonces = new Set(await Promise.all(Array.from({ length: 5 }, () => issuedNonce(srv, user.phoneHash))));
    expect(nonces.size).toBe(5);
  });

  test('the token is HS256, subject = user_id, exp - iat = 1800', async () => {
    const user = await registered(srv);
    const nonce = await issuedNonce(srv, user.phoneHash);
    const before = Math.floor(Date.now() / 1000);
    const res = await login(srv, { phone_hash: user.phoneHash, nonce, signature: signNonce(user.identity, nonce) });
    const { header, payload } = decodeJwt(res.body.token);
    expect(header.alg).toBe('HS256');
    expect(payload.sub).toBe(user.userId);
    expect((payload.exp as number) - (payload.iat as number)).toBe(1800);
    expect(payload.iat as number).toBeGreaterThanOrEqual(before - 1);
    expect(payload.iat as number).toBeLessThanOrEqual(Date.now() / 1000 + 1);
  });

  test('a replayed nonce and signature are refused the second time', async () => {
    const user = await registered(srv);
    const nonce = await issuedNonce(srv, user.phoneHash);
    const body = { phone_hash: user.phoneHash, nonce, signature: signNonce(user.identity, nonce) };
    expect((await login(srv, body)).status).toBe(200);
    expectError(await login(srv, body), 401, 'NONCE_REJECTED');
    expectError(await login(srv, body), 401, 'NONCE_REJECTED');
  });

  test('concurrent replays of one answer yield exactly one token', async () => {
    const user = await registered(srv);
    const nonce = await issuedNonce(srv, user.phoneHash);
    const body = { phone_hash: user.phoneHash, nonce, signature: signNonce(user.identity, nonce) };
    const results = await Promise.all(Array.from({ length: 10 }, () => login(srv, body)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 401)).toHaveLength(9);
  });

  test('a client-chosen nonce is refused (401 NONCE_REJECTED)', async () => {
    const user = await registered(srv);
    const nonce = randomBytes(32).toString('hex');
    expectError(await login(srv, { phone_hash: user.phoneHash, nonce, signature: signNonce(user.identity, nonce) }), 401, 'NONCE_REJECTED');
  });

  test('a nonce issued for another phone hash is refused', async () => {
    const alice = await registered(srv);
    const bob = await registered(srv);
    const nonce = await issuedNonce(srv, alice.phoneHash);
    expectError(await login(srv, { phone_hash: bob.phoneHash, nonce, signature: signNonce(bob.identity, nonce) }), 401, 'NONCE_REJECTED');
    // Still unused: Alice can redeem it.
    expect((await login(srv, { phone_hash: alice.phoneHash, nonce, signature: signNonce(alice.identity, nonce) })).status).toBe(200);
  });

  test('an expired challenge is refused', async () => {
    const user = await registered(srv);
    const nonce = await issuedNonce(srv, user.phoneHash);
    const db = openDb(srv.config.data_dir);
    try {
      const changed = db
        .prepare('UPDATE account_auth_nonces SET expires_at = ? WHERE phone_hash = ? AND nonce = ?')
        .run(Date.now() / 1000 - 1, user.phoneHash, nonce);
      expect(changed.changes).toBe(1);
    } finally {
      db.close();
    }
    expectError(await login(srv, { phone_hash: user.phoneHash, nonce, signature: signNonce(user.identity, nonce) }), 401, 'NONCE_REJECTED');
  });

  test('a wrong signature is 401 INVALID_SIGNATURE and does not burn the nonce', async () => {
    const user = await registered(srv);
    const nonce = await issuedNonce(srv, user.phoneHash);
    const attempts = [
      signNonce(identityKey(), nonce), // someone else's key
      signNonce(user.identity, nonce.slice(0, 63) + (nonce[63] === '0' ? '1' : '0')), // another nonce
      signNonce(user.identity, nonce).replace(/^../, (b) => (b === '00' ? '01' : '00')), // one byte flipped
      '0'.repeat(128),
    ];
    for (const signature of attempts) expectError(await login(srv, { phone_hash: user.phoneHash, nonce, signature }), 401, 'INVALID_SIGNATURE');
    // The signature is over the UTF-8 text of the hex nonce, not its decoded bytes.
    const overBytes = toHex(sign(user.identity, Buffer.from(nonce, 'hex')));
    expectError(await login(srv, { phone_hash: user.phoneHash, nonce, signature: overBytes }), 401, 'INVALID_SIGNATURE');
    expect((await login(srv, { phone_hash: user.phoneHash, nonce, signature: signNonce(user.identity, nonce) })).status).toBe(200);
  });

  test('an unknown phone hash is 401 INVALID_SIGNATURE, as a wrong signature is (no registration oracle)', async () => {
    const hash = phoneHash();
    const nonce = await issuedNonce(srv, hash);
    expectError(await login(srv, { phone_hash: hash, nonce, signature: signNonce(identityKey(), nonce) }), 401, 'INVALID_SIGNATURE');
  });

  test('malformed login bodies are 422', async () => {
    const user = await registered(srv);
    const nonce = await issuedNonce(srv, user.phoneHash);
    const good = { phone_hash: user.phoneHash, nonce, signature: signNonce(user.identity, nonce) };
    for (const bad of [
      { ...good, signature: 'zz'.repeat(64) },
      { ...good, signature: good.signature.slice(0, 126) },
      { ...good, nonce: 'a'.repeat(31) },
      { ...good, nonce: 'a'.repeat(65) },
      { ...good, phone_hash: 'x' },
      { phone_hash: user.phoneHash },
    ]) {
      expectError(await login(srv, bad), 422);
    }
    expectError(await challenge(srv, 'nothex'), 422);
    expect((await login(srv, good)).status).toBe(200);
  });

  test('an account token is not a Whispr key token, and a Whispr key token is not an account token', async () => {
    const user = await registered(srv);
    const nonce = await issuedNonce(srv, user.phoneHash);
    const issued = (await login(srv, { phone_hash: user.phoneHash, nonce, signature: signNonce(user.identity, nonce) })).body as {
      token: string;
      user_id: string;
    };
    const accountToken = issued.token;
    const whispr = srv.client();
    const keyToken = await whispr.authenticate('x25519');

    // TURN credentials are the one route that takes both kinds, each naming its own caller (calls.md).
    expect((await call(srv.url, 'GET', '/api/v1/turn-credentials', { token: keyToken })).body.username).toMatch(new RegExp(`^\\d+:${whispr.address}$`));
    expect((await call(srv.url, 'GET', '/api/v1/turn-credentials', { token: accountToken })).body.username).toMatch(new RegExp(`^\\d+:${issued.user_id}$`));
    expect((await call(srv.url, 'GET', `/inbox/${whispr.address}`, { token: keyToken })).status).toBe(200);
    expectError(await call(srv.url, 'GET', `/inbox/${whispr.address}`, { token: accountToken }), 401);

    expectError(await call(srv.url, 'GET', '/api/v1/keys', { token: keyToken }), 401);
    expect((await (await accountSocket(srv, keyToken)).closed).code).toBe(1008);
  });
});

describe('compat mode', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test('a client-chosen nonce is accepted once, refused when replayed, also after a restart on the same data', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'whispr-compat-nonce-'));
    dirs.push(dataDir);
    const first = await startServer({ ...LIFTED, security: 'compat', data_dir: dataDir });
    const user = await registered(first);
    const nonce = randomBytes(32).toString('hex');
    const body = { phone_hash: user.phoneHash, nonce, signature: signNonce(user.identity, nonce) };
    try {
      const ok = await login(first, body);
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      expect(ok.body.user_id).toBe(user.userId);
      expectError(await login(first, body), 401, 'NONCE_REJECTED');
      // Another fresh nonce of the client's is fine; a 32-character nonce (the shortest allowed) too.
      const other = randomBytes(16).toString('hex');
      expect((await login(first, { ...body, nonce: other, signature: signNonce(user.identity, other) })).status).toBe(200);
    } finally {
      await first.stop();
    }

    const second = await startServer({ ...LIFTED, security: 'compat', data_dir: dataDir });
    try {
      expectError(await login(second, body), 401, 'NONCE_REJECTED');
      // The account itself survived: a new nonce logs in as the same user.
      const fresh = randomBytes(32).toString('hex');
      const res = await login(second, { ...body, nonce: fresh, signature: signNonce(user.identity, fresh) });
      expect(res.body.user_id).toBe(user.userId);
    } finally {
      await second.stop();
    }
  });

  test('server challenges work in compat mode too, once each', async () => {
    const srv = await startServer({ ...LIFTED, security: 'compat' });
    try {
      const user = await registered(srv);
      const nonce = await issuedNonce(srv, user.phoneHash);
      const body = { phone_hash: user.phoneHash, nonce, signature: signNonce(user.identity, nonce) };
      expect((await login(srv, body)).status).toBe(200);
      expectError(await login(srv, body), 401, 'NONCE_REJECTED');
      expectError(await login(srv, { ...body, signature: signNonce(identityKey(), nonce) }), 401, 'INVALID_SIGNATURE');
    } finally {
      await srv.stop();
    }
  });
});

describe('the auth rate limit', () => {
  test('challenge and token share 10 calls per minute per address; the 11th is 429 with Retry-After', async () => {
    const srv = await startServer({ account_register_per_hour: 1000 });
    try {
      const user = await registered(srv);
      const nonces: string[] = [];
      for (let i = 0; i < 5; i++) nonces.push(await issuedNonce(srv, user.phoneHash));
      for (let i = 0; i < 5; i++) {
        const nonce = nonces[i] as string;
        expect((await login(srv, { phone_hash: user.phoneHash, nonce, signature: signNonce(user.identity, nonce) })).status).toBe(200);
      }
      const refused = await challenge(srv, user.phoneHash);
      expectError(refused, 429, 'RATE_LIMITED');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expectError(await login(srv, { phone_hash: user.phoneHash, nonce: nonces[0], signature: signNonce(user.identity, nonces[0] as string) }), 429);
    } finally {
      await srv.stop();
    }
  });
});
