import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateIdentity, openSealed, sign, type Identity } from 'whispr-sdk';
import { statusFigure } from '../support/server-status.js';
import { startServer, type RunningServer } from '../support/test-server.js';
import { call, expectError } from './api.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

describe('auth: challenge -> token', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer();
  });
  afterAll(async () => {
    await srv.stop();
  });

  const challenge = (key: string, key_type: string) => call(srv.url, 'POST', '/auth/challenge', { json: { key, key_type } });
  const token = (body: Record<string, unknown>) => call(srv.url, 'POST', '/auth/token', { json: body });

  /** Answers an ed25519 challenge correctly. */
  async function edChallenge(id: Identity) {
    const res = await challenge(hex(id.signing.publicKey), 'ed25519');
    expect(res.status).toBe(200);
    const signature = b64(sign(id.signing, Buffer.from(res.body.nonce as string, 'base64')));
    return { challengeId: res.body.challenge_id as string, signature };
  }

  async function xChallenge(id: Identity) {
    const res = await challenge(hex(id.encryption.publicKey), 'x25519');
    expect(res.status).toBe(200);
    const nonce = b64(openSealed(id.encryption, Buffer.from(res.body.sealed_nonce as string, 'base64')));
    return { challengeId: res.body.challenge_id as string, nonce };
  }

  it('SDK authenticate() proves an ed25519 signing key and an x25519 encryption key', async () => {
    const client = srv.client();
    const edToken = await client.authenticate('ed25519');
    const xToken = await client.authenticate('x25519');
    for (const t of [edToken, xToken]) expect(t).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(edToken).not.toBe(xToken);
    // Cached until close to expiry: a second call does not start a new challenge.
    expect(await client.authenticate('x25519')).toBe(xToken);
  });

  it('an ed25519 challenge carries a 32-byte nonce; the token names the key and its type', async () => {
    const id = generateIdentity();
    const res = await challenge(hex(id.signing.publicKey), 'ed25519');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ challenge_id: expect.any(String), key_type: 'ed25519', nonce: expect.any(String), expires_at: expect.any(Number) });
    expect(Buffer.from(res.body.nonce, 'base64')).toHaveLength(32);
    expect(res.body.expires_at).toBeGreaterThan(Date.now() / 1000);
    expect(res.body.expires_at).toBeLessThanOrEqual(Date.now() / 1000 + srv.config.challenge_ttl_seconds + 1);

    const signature = b64(sign(id.signing, Buffer.from(res.body.nonce, 'base64')));
    const issued = await token({ challenge_id: res.body.challenge_id, signature });
    expect(issued.status).toBe(200);
    expect(issued.body).toEqual({
      access_token: expect.any(String),
      token_type: 'bearer',
      expires_in: srv.config.token_ttl_seconds,
      key: hex(id.signing.publicKey),
      key_type: 'ed25519',
    });
  });

  it('an x25519 challenge is a sealed nonce only the key holder can open', async () => {
    const id = generateIdentity();
    const res = await challenge(hex(id.encryption.publicKey).toUpperCase(), 'x25519');
    expect(res.status).toBe(200);
    expect(res.body.nonce).toBeUndefined();
    const sealed = Buffer.from(res.body.sealed_nonce, 'base64');
    expect(() => openSealed(generateIdentity().encryption, sealed)).toThrow();
    const nonce = b64(openSealed(id.encryption, sealed));
    const issued = await token({ challenge_id: res.body.challenge_id, nonce });
    expect(issued.status).toBe(200);
    // Upper-case hex in the challenge; the subject is normalised to lower case.
    expect(issued.body).toMatchObject({ key: hex(id.encryption.publicKey), key_type: 'x25519', token_type: 'bearer' });
  });

  it('a nonce is accepted once: answering the same challenge again is 401 CHALLENGE_INVALID', async () => {
    const id = generateIdentity();
    const ed = await edChallenge(id);
    expect((await token({ challenge_id: ed.challengeId, signature: ed.signature })).status).toBe(200);
    expectError(await token({ challenge_id: ed.challengeId, signature: ed.signature }), 401, 'CHALLENGE_INVALID');

    const x = await xChallenge(id);
    expect((await token({ challenge_id: x.challengeId, nonce: x.nonce })).status).toBe(200);
    expectError(await token({ challenge_id: x.challengeId, nonce: x.nonce }), 401, 'CHALLENGE_INVALID');
  });

  it('a wrong ed25519 signature is 401 PROOF_INVALID and burns the challenge', async () => {
    const id = generateIdentity();
    const ed = await edChallenge(id);
    // Signed by someone else, and a signature over other bytes by the right key.
    const stranger = b64(sign(generateIdentity().signing, randomBytes(32)));
    expectError(await token({ challenge_id: ed.challengeId, signature: stranger }), 401, 'PROOF_INVALID');
    expectError(await token({ challenge_id: ed.challengeId, signature: ed.signature }), 401, 'CHALLENGE_INVALID');

    const again = await edChallenge(id);
    const otherBytes = b64(sign(id.signing, randomBytes(32)));
    expectError(await token({ challenge_id: again.challengeId, signature: otherBytes }), 401, 'PROOF_INVALID');
    expectError(await token({ challenge_id: again.challengeId, signature: again.signature }), 401, 'CHALLENGE_INVALID');
  });

  it('a wrong opened x25519 nonce is 401 PROOF_INVALID and burns the challenge', async () => {
    const id = generateIdentity();
    const x = await xChallenge(id);
    expectError(await token({ challenge_id: x.challengeId, nonce: b64(randomBytes(32)) }), 401, 'PROOF_INVALID');
    expectError(await token({ challenge_id: x.challengeId, nonce: x.nonce }), 401, 'CHALLENGE_INVALID');

    // A truncated nonce is refused the same way (no length oracle, no crash).
    const y = await xChallenge(id);
    expectError(await token({ challenge_id: y.challengeId, nonce: b64(Buffer.from(y.nonce, 'base64').subarray(0, 16)) }), 401, 'PROOF_INVALID');
  });

  it('an unknown (or long expired) challenge id is 401 CHALLENGE_INVALID', async () => {
    expectError(await token({ challenge_id: '00000000-0000-4000-8000-000000000000', signature: b64(randomBytes(64)) }), 401, 'CHALLENGE_INVALID');
    expectError(await token({ challenge_id: 'not-a-uuid', nonce: b64(randomBytes(32)) }), 401, 'CHALLENGE_INVALID');
  });

  it('an answer of the wrong kind is 400 PROOF_MISSING', async () => {
    const id = generateIdentity();
    const ed = await edChallenge(id);
    expectError(await token({ challenge_id: ed.challengeId, nonce: b64(randomBytes(32)) }), 400, 'PROOF_MISSING');
    const x = await xChallenge(id);
    expectError(await token({ challenge_id: x.challengeId, signature: b64(randomBytes(64)) }), 400, 'PROOF_MISSING');
  });

  it('malformed challenge requests are 400 and create no pending challenge', async () => {
    const before = await statusFigure(srv, 'pending_challenges');
    const key = hex(generateIdentity().signing.publicKey);
    for (const body of [
      { key: key.slice(2), key_type: 'ed25519' }, // 31 bytes
      { key: `${key.slice(2)}zz`, key_type: 'ed25519' }, // not hex
      { key, key_type: 'rsa' },
      { key },
      { key_type: 'x25519' },
    ]) {
      expectError(await call(srv.url, 'POST', '/auth/challenge', { json: body }), 400);
    }
    expectError(await call(srv.url, 'POST', '/auth/challenge', { raw: '{"key": ' }), 400, 'INVALID_JSON');
    expect(await statusFigure(srv, 'pending_challenges')).toBe(before);
  });

  it('an x25519 key nothing can be sealed to (low-order point) is 400 INVALID_KEY, not a 500, and leaves no challenge behind', async () => {
    const before = await statusFigure(srv, 'pending_challenges');
    for (const key of ['00'.repeat(32), `01${'00'.repeat(31)}`, 'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800']) {
      expectError(await challenge(key, 'x25519'), 400, 'INVALID_KEY');
    }
    expect(await statusFigure(srv, 'pending_challenges')).toBe(before);
  });

  it('malformed token requests are 400', async () => {
    const ed = await edChallenge(generateIdentity());
    expectError(await token({ signature: ed.signature }), 400);
    expectError(await token({ challenge_id: ed.challengeId, signature: 'not base64!' }), 400, 'INVALID_BASE64');
    expectError(await token({ challenge_id: 'x'.repeat(65), signature: ed.signature }), 400, 'VALIDATION_FAILED');
  });
});

describe('auth: pending challenge cap', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer({ max_pending_challenges: 10 });
  });
  afterAll(async () => {
    await srv.stop();
  });

  it('the 11th unanswered challenge is 503 TOO_MANY_CHALLENGES with Retry-After; answering one frees a slot', async () => {
    const ids = Array.from({ length: 10 }, () => generateIdentity());
    const issued = [];
    for (const id of ids) {
      const res = await call(srv.url, 'POST', '/auth/challenge', { json: { key: hex(id.signing.publicKey), key_type: 'ed25519' } });
      expect(res.status).toBe(200);
      issued.push({ id, body: res.body as { challenge_id: string; nonce: string } });
    }
    const refused = await call(srv.url, 'POST', '/auth/challenge', { json: { key: hex(generateIdentity().signing.publicKey), key_type: 'ed25519' } });
    expectError(refused, 503, 'TOO_MANY_CHALLENGES');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    // Pending ones still work, and each answer frees room for a new challenge.
    const first = issued[0]!;
    const signature = b64(sign(first.id.signing, Buffer.from(first.body.nonce, 'base64')));
    expect((await call(srv.url, 'POST', '/auth/token', { json: { challenge_id: first.body.challenge_id, signature } })).status).toBe(200);
    expect((await srv.client().authenticate('x25519')).length).toBeGreaterThan(0);
  });
});
