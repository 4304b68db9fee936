import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WhisprClient, text, utf8 } from 'whispr-sdk';
import { startServer, type RunningServer } from '../support/test-server.js';
import { call, expectError } from './api.js';

/** Flips one character of the signature part of a JWT (keeping it valid base64url). */
function tamper(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const i = Math.floor(signature.length / 2);
  const flipped = signature[i] === 'A' ? 'B' : 'A';
  return `${header}.${payload}.${signature.slice(0, i)}${flipped}${signature.slice(i + 1)}`;
}

describe('auth: bearer tokens on the inbox (strict mode)', () => {
  let srv: RunningServer;
  let other: RunningServer;
  beforeAll(async () => {
    [srv, other] = await Promise.all([startServer(), startServer()]);
  });
  afterAll(async () => {
    await Promise.all([srv.stop(), other.stop()]);
  });

  const inbox = (key: string, token?: string) => call(srv.url, 'GET', `/inbox/${key}`, token === undefined ? {} : { token });

  it("an x25519 token reads its own key's inbox, and the drain is destructive", async () => {
    const alice = srv.client();
    const bob = srv.client();
    const sent = await alice.send(bob.address, 'hello bob');
    const messages = await bob.fetchInbox();
    expect(messages.map((m) => m.id)).toEqual([sent.id]);
    expect(bob.open(messages[0]!)).toEqual({ plaintext: utf8('hello bob'), verified: true });
    expect(await bob.fetchInbox()).toEqual([]);

    const res = await inbox(bob.address, await bob.authenticate('x25519'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ messages: [] });
  });

  it('no token is 401 TOKEN_REQUIRED and leaves the messages queued', async () => {
    const alice = srv.client();
    const bob = srv.client();
    await alice.send(bob.address, 'still here');
    expectError(await inbox(bob.address), 401, 'TOKEN_REQUIRED');
    const res = await call(srv.url, 'GET', `/inbox/${bob.address}`, {});
    expectError(res, 401, 'TOKEN_REQUIRED');
    expect((await bob.fetchInbox()).map((m) => text(bob.open(m).plaintext))).toEqual(['still here']);
  });

  it('a token for key A used on /inbox/B is 403 KEY_MISMATCH and does not drain B', async () => {
    const alice = srv.client();
    const bob = srv.client();
    await alice.send(bob.address, 'for bob only');
    const aliceToken = await alice.authenticate('x25519');
    expectError(await inbox(bob.address, aliceToken), 403, 'KEY_MISMATCH');
    // A proven signing key is not the inbox address either.
    expectError(await inbox(bob.address, await bob.authenticate('ed25519')), 403, 'KEY_MISMATCH');
    expect(await bob.fetchInbox()).toHaveLength(1);
  });

  it('the key in the path is matched case-insensitively against the token subject', async () => {
    const bob = srv.client();
    const res = await inbox(bob.address.toUpperCase(), await bob.authenticate('x25519'));
    expect(res.status).toBe(200);
  });

  it('a tampered token is 401 TOKEN_INVALID', async () => {
    const bob = srv.client();
    const good = await bob.authenticate('x25519');
    expectError(await inbox(bob.address, tamper(good)), 401, 'TOKEN_INVALID');
    // A forged payload with the original signature.
    const [h, , s] = good.split('.') as [string, string, string];
    const forgedPayload = Buffer.from(JSON.stringify({ sub: bob.address, kt: 'x25519', iss: 'whispr', aud: 'whispr-api', exp: 9_999_999_999 })).toString(
      'base64url',
    );
    expectError(await inbox(bob.address, `${h}.${forgedPayload}.${s}`), 401, 'TOKEN_INVALID');
    expectError(await inbox(bob.address, 'garbage'), 401, 'TOKEN_INVALID');
  });

  it('a token issued by another server (other secret) is 401 TOKEN_INVALID', async () => {
    const bob = srv.client();
    // The same identity, proven to the other server: valid there, worthless here.
    const foreignToken = await new WhisprClient({ baseUrl: other.url, identity: bob.identity }).authenticate('x25519');
    expect((await call(other.url, 'GET', `/inbox/${bob.address}`, { token: foreignToken })).status).toBe(200);
    expectError(await inbox(bob.address, foreignToken), 401, 'TOKEN_INVALID');
  });

  it('an expired token signed with the real secret is 401 TOKEN_INVALID', async () => {
    const bob = srv.client();
    const secret = Buffer.from(readFileSync(join(srv.dataDir, 'token-secret'), 'utf8').trim(), 'hex');
    const now = Math.floor(Date.now() / 1000);
    const sign = (exp: number, alg = 'HS256') =>
      new SignJWT({ kt: 'x25519' })
        .setProtectedHeader({ alg, typ: 'JWT' })
        .setSubject(bob.address)
        .setIssuer('whispr')
        .setAudience('whispr-api')
        .setIssuedAt(now - 120)
        .setExpirationTime(exp)
        .sign(secret);
    // Control: the same construction, unexpired, is accepted.
    expect((await inbox(bob.address, await sign(now + 60))).status).toBe(200);
    expectError(await inbox(bob.address, await sign(now - 60)), 401, 'TOKEN_INVALID');
    // alg "none" is never accepted.
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ sub: bob.address, kt: 'x25519', iss: 'whispr', aud: 'whispr-api', exp: now + 60 })).toString('base64url');
    expectError(await inbox(bob.address, `${header}.${payload}.`), 401, 'TOKEN_INVALID');
  });

  it('the Authorization header must be a Bearer token', async () => {
    const bob = srv.client();
    const token = await bob.authenticate('x25519');
    const res = await fetch(new URL(`/inbox/${bob.address}`, srv.url), { headers: { authorization: `Basic ${token}` } });
    expect(res.status).toBe(401);
    // A token in the query string is not accepted for HTTP routes (it would end up in access logs).
    const viaQuery = await call(srv.url, 'GET', `/inbox/${bob.address}`, { query: { token } });
    expectError(viaQuery, 401, 'TOKEN_REQUIRED');
  });
});

describe('auth: a shared jwt_secret', () => {
  it("lets two servers accept each other's tokens (several nodes behind one address)", async () => {
    const jwt_secret = 'a shared secret of enough length for HS256 tokens';
    const [a, b] = await Promise.all([startServer({ jwt_secret }), startServer({ jwt_secret })]);
    try {
      const bob = a.client();
      const token = await bob.authenticate('x25519');
      expect((await call(b.url, 'GET', `/inbox/${bob.address}`, { token })).status).toBe(200);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
