/** Admin login and the admin token: success, wrong credentials, rate limit, every route guarded. */
import { SignJWT } from 'jose';
import { beforeAll, describe, expect, test } from 'vitest';
import { formatPasswordHash, hashPassword } from '../../src/core/password-hash.js';
import { startServer } from '../support/test-server.js';
import { ADMIN_PASSWORD, ADMIN_SETTINGS, ADMIN_USER, call, expectApiError, login, serverPerBlock, startAdminServer } from './admin-kit.js';

/** Every admin route, with inputs that would be valid (and some that would not). */
const ADMIN_ROUTES: Array<[string, string]> = [
  ['GET', '/api/stats/overview'],
  ['GET', '/api/stats/system'],
  ['GET', '/api/stats/users'],
  ['GET', '/api/stats/messages'],
  ['GET', '/api/stats/attachments'],
  ['GET', '/api/stats/export.csv'],
  ['GET', '/api/stats/messages?from=not-a-date'],
  ['GET', '/api/groups/public/list'],
  ['DELETE', `/api/groups/delete?group_id=${'0'.repeat(32)}`],
  ['DELETE', '/api/groups/delete'],
];

describe('POST /api/auth/login', () => {
  const server = serverPerBlock(() => startAdminServer({ admin_login_attempts_per_minute: 4 }));

  test('the configured user and password get a bearer token (OAuth2 form, as the original, or JSON)', async () => {
    const form = await call(server().url, 'POST', '/api/auth/login', {
      form: { grant_type: 'password', username: ADMIN_USER, password: ADMIN_PASSWORD, scope: '' },
    });
    expect(form.status, form.text).toBe(200);
    expect(form.body).toEqual({ access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/), token_type: 'bearer', expires_in: 3600 });
    const overview = await call(server().url, 'GET', '/api/stats/overview', { token: form.body.access_token });
    expect(overview.status).toBe(200);
    const json = await call(server().url, 'POST', '/api/auth/login', { json: { username: ADMIN_USER, password: ADMIN_PASSWORD } });
    expect(json.status).toBe(200);
  });

  test('a wrong password or user name is 401 INVALID_CREDENTIALS; the 5th attempt in a minute is 429 with Retry-After', async () => {
    expectApiError(
      await call(server().url, 'POST', '/api/auth/login', { json: { username: ADMIN_USER, password: `${ADMIN_PASSWORD}!` } }),
      401,
      'INVALID_CREDENTIALS',
    );
    expectApiError(await call(server().url, 'POST', '/api/auth/login', { json: { username: 'admin', password: ADMIN_PASSWORD } }), 401, 'INVALID_CREDENTIALS');
    // The first test used 2 of the 4 attempts; even the right password is refused now.
    const limited = await call(server().url, 'POST', '/api/auth/login', { json: { username: ADMIN_USER, password: ADMIN_PASSWORD } });
    expectApiError(limited, 429, 'RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  test('missing or malformed fields are 400, never 500', async () => {
    for (const body of [
      {},
      { username: ADMIN_USER },
      { username: '', password: 'x' },
      { username: 1, password: 2 },
      { username: 'x'.repeat(300), password: 'y' },
    ]) {
      expectApiError(await call(server().url, 'POST', '/api/auth/login', { json: body }), 400, 'VALIDATION_FAILED');
    }
    const broken = await fetch(new URL('/api/auth/login', server().url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"username": ',
    });
    expect(broken.status).toBe(400);
  });
});

describe('every admin route needs the admin token', () => {
  const server = serverPerBlock(() => startAdminServer());
  let token: string;
  beforeAll(async () => {
    token = await login(server().url);
  });

  test.each(ADMIN_ROUTES)('%s %s: 401 TOKEN_REQUIRED without a token', async (method, path) => {
    expectApiError(await call(server().url, method, path), 401, 'TOKEN_REQUIRED');
  });

  test.each(ADMIN_ROUTES)('%s %s: 401 TOKEN_INVALID with a bad, foreign or user token', async (method, path) => {
    const secret = new TextEncoder().encode(ADMIN_SETTINGS.analytics_jwt_secret!);
    const forgedWithDefault = await new SignJWT({ scope: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('admin')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('change_this_secret_key'));
    const wrongAudience = await new SignJWT({ scope: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(ADMIN_USER)
      .setIssuer('whispr')
      .setAudience('whispr-api')
      .setExpirationTime('1h')
      .sign(secret);
    const expired = await new SignJWT({ scope: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(ADMIN_USER)
      .setIssuer('whispr')
      .setAudience('whispr-admin')
      .setIssuedAt(1)
      .setExpirationTime(2)
      .sign(secret);
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(`{"sub":"${ADMIN_USER}","scope":"admin"}`).toString('base64url')}.`;
    const userToken = await server().client().authenticate('x25519');
    for (const bad of ['garbage', `${token}x`, forgedWithDefault, wrongAudience, expired, unsigned, userToken]) {
      expectApiError(await call(server().url, method, path, { token: bad }), 401, 'TOKEN_INVALID');
    }
  });

  test('the same routes answer with the token; they are documented in /openapi.json', async () => {
    for (const [method, path] of ADMIN_ROUTES) {
      const answer = await call(server().url, method, path, { token });
      expect([200, 400, 404], `${method} ${path}: ${answer.text}`).toContain(answer.status);
    }
    const spec = (await call(server().url, 'GET', '/openapi.json')).body;
    for (const path of [
      '/api/auth/login',
      '/api/stats/overview',
      '/api/stats/system',
      '/api/stats/users',
      '/api/stats/messages',
      '/api/stats/attachments',
      '/api/stats/export.csv',
      '/api/groups/public/list',
      '/api/groups/delete',
    ]) {
      expect(spec.paths, path).toHaveProperty([path]);
    }
  });
});

describe('admin disabled (no admin_password)', () => {
  const server = serverPerBlock(() => startServer());

  test('the API answers 503 ADMIN_DISABLED and the dashboard 404', async () => {
    expectApiError(await call(server().url, 'POST', '/api/auth/login', { json: { username: 'admin', password: 'admin' } }), 503, 'ADMIN_DISABLED');
    for (const [method, path] of ADMIN_ROUTES) expectApiError(await call(server().url, method, path, { token: 'anything' }), 503, 'ADMIN_DISABLED');
    expectApiError(await call(server().url, 'GET', '/admin'), 404, 'ADMIN_DISABLED');
    expectApiError(await call(server().url, 'GET', '/admin/app.js'), 404, 'ADMIN_DISABLED');
  });
});

describe('a password configured as its scrypt hash', () => {
  test('logs in with the clear password; the hash itself is no password', async () => {
    const hash = formatPasswordHash(await hashPassword('a hashed pass phrase'));
    const srv = await startAdminServer({ admin_password: hash });
    try {
      expect(await login(srv.url, 'a hashed pass phrase')).toMatch(/\./);
      expectApiError(await call(srv.url, 'POST', '/api/auth/login', { json: { username: ADMIN_USER, password: hash } }), 401, 'INVALID_CREDENTIALS');
    } finally {
      await srv.stop();
    }
  });
});
