// Chat-app sign-in: only a valid ID token of the configured provider identifies a caller. Every
// way a token can be wrong is a 401 with the original's detail, never a 5xx.
import { UnsecuredJWT, SignJWT } from 'jose';
import { describe, expect, test } from 'vitest';
import { call, expectError } from '../auth/api.js';
import { startOidcProvider } from '../support/oidc-provider.js';
import { startServer } from '../support/test-server.js';
import { useChatServer } from './chat-kit.js';

const chat = useChatServer();

const me = (token: string) => chat.api('GET', '/api/users/me', { token });
const invalid = async (token: string) => {
  const answer = await me(token);
  expectError(answer, 401, 'TOKEN_INVALID');
  expect(answer.body.detail).toBe('Invalid token');
};

describe('valid ID tokens', () => {
  test('an RS256 and an ES256 token of the same subject are the same user', async () => {
    const rsa = await chat.oidc.idToken('both-algs');
    const ec = await chat.oidc.idToken('both-algs', {}, { alg: 'ES256' });
    expect((await chat.api('POST', '/api/register', { json: { google_id_token: rsa, public_key: 'AAAA' } })).status).toBe(200);
    expect((await me(rsa)).body.user_id).toBe('user_both-algs');
    expect((await me(ec)).body.user_id).toBe('user_both-algs');
  });

  test('the provider keys are fetched once and cached', async () => {
    const user = await chat.user();
    const before = chat.oidc.jwksFetches();
    for (let i = 0; i < 5; i++) expect((await me(user.token)).status).toBe(200);
    expect(chat.oidc.jwksFetches()).toBe(before);
    expect(before).toBeGreaterThanOrEqual(1);
  });
});

describe('refused tokens', () => {
  test('no Authorization header, or not a Bearer one', async () => {
    for (const authorization of [undefined, 'Basic dXNlcjpwYXNz', 'Bearer', 'token-without-scheme']) {
      const response = await fetch(`${chat.srv.url}/api/users/me`, { headers: authorization === undefined ? {} : { authorization } });
      const body: unknown = await response.json();
      expectError({ status: response.status, headers: response.headers, body }, 401, 'TOKEN_REQUIRED');
      expect(body).toMatchObject({ detail: 'Missing or invalid authorization header' });
    }
  });

  test('expired', async () => invalid(await chat.oidc.idToken('late', {}, { expiresIn: -120 })));
  test('for another audience', async () => invalid(await chat.oidc.idToken('aud', {}, { audience: 'someone-elses-app' })));
  test('from another issuer', async () => invalid(await chat.oidc.idToken('iss', {}, { issuer: 'https://evil.example.org' })));
  test('signed with a key the provider never published (RS256 and ES256)', async () => {
    await invalid(await chat.oidc.idToken('forged', {}, { foreignKey: true }));
    await invalid(await chat.oidc.idToken('forged', {}, { alg: 'ES256', foreignKey: true }));
  });

  test('alg none', async () => {
    const now = Math.floor(Date.now() / 1000);
    await invalid(
      new UnsecuredJWT({})
        .setSubject('none')
        .setIssuer(chat.oidc.issuer)
        .setAudience(chat.oidc.audience)
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .encode(),
    );
  });

  test('HS256 signed with the public key or any secret', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
      .setSubject('hmac')
      .setIssuer(chat.oidc.issuer)
      .setAudience(chat.oidc.audience)
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(new TextEncoder().encode('x'.repeat(32)));
    await invalid(token);
  });

  test('malformed', async () => {
    const valid = await chat.oidc.idToken('malformed');
    const [header, payload] = valid.split('.') as [string, string, string];
    for (const token of ['x', 'a.b.c', `${header}.${payload}.`, `${header}.${payload}`, `${header}.!!!.sig`, valid.slice(0, -4), '....', `${valid}x`])
      await invalid(token);
  });

  test('with an empty subject, or one too long for a user id (100 characters with "user_")', async () => {
    await invalid(await chat.oidc.idToken(''));
    await invalid(await chat.oidc.idToken('s'.repeat(96)));
    const longest = await chat.api('POST', '/api/register', { json: { google_id_token: await chat.oidc.idToken('s'.repeat(95)), public_key: 'AAAA' } });
    expect(longest.body.user_id).toBe(`user_${'s'.repeat(95)}`);
    expect((await chat.api('GET', `/api/users/${longest.body.user_id}/public-key`, { token: await chat.oidc.idToken('s'.repeat(95)) })).status).toBe(200);
  });

  test('dev_ tokens, unless oidc_dev_tokens is on', async () => invalid('dev_alice'));
});

describe('server configuration', () => {
  test('without oidc_audience every chat-app route answers 503 CHAT_NOT_CONFIGURED', async () => {
    const oidc = await startOidcProvider();
    const srv = await startServer({ ...oidc.settings, oidc_audience: [] });
    try {
      const token = await oidc.idToken('nobody');
      for (const [method, path, json] of [
        ['GET', '/api/users/me', undefined],
        ['POST', '/api/register', { google_id_token: token, public_key: 'AAAA' }],
        ['GET', '/api/groups', undefined],
      ] as const) {
        const answer = await call(srv.url, method, path, { token, json });
        expectError(answer, 503, 'CHAT_NOT_CONFIGURED');
        expect(answer.body.detail).toMatch(/oidc_audience/);
      }
      expectError(await call(srv.url, 'GET', '/api/users/me'), 503, 'CHAT_NOT_CONFIGURED');
    } finally {
      await srv.stop();
      await oidc.close();
    }
  });

  test('an unreachable JWKS is 503 OIDC_UNAVAILABLE, not 401 or 500', async () => {
    const oidc = await startOidcProvider();
    const token = await oidc.idToken('offline');
    const jwksUrl = oidc.jwksUrl;
    await oidc.close(); // nothing listens there any more
    const srv = await startServer({ ...oidc.settings, oidc_jwks_url: jwksUrl });
    try {
      const answer = await call(srv.url, 'GET', '/api/users/me', { token });
      expectError(answer, 503, 'OIDC_UNAVAILABLE');
      expect(answer.headers.get('retry-after')).not.toBeNull();
      expectError(await call(srv.url, 'POST', '/api/register', { json: { google_id_token: token, public_key: 'AAAA' } }), 503, 'OIDC_UNAVAILABLE');
      // A token that is malformed is refused without asking the provider.
      expectError(await call(srv.url, 'GET', '/api/users/me', { token: 'a.b.c' }), 401, 'TOKEN_INVALID');
    } finally {
      await srv.stop();
    }
  });

  test('with oidc_dev_tokens, dev_<name> is user_dev_<name> and real tokens still work', async () => {
    const oidc = await startOidcProvider();
    const srv = await startServer({ ...oidc.settings, oidc_dev_tokens: true });
    try {
      const registered = await call(srv.url, 'POST', '/api/register', { json: { google_id_token: 'dev_alice', public_key: 'AAAA' } });
      expect(registered.status).toBe(200);
      expect(registered.body).toMatchObject({ user_id: 'user_dev_alice', email: 'dev_alice@example.com', display_name: 'dev_alice' });
      expect((await call(srv.url, 'GET', '/api/users/me', { token: 'dev_alice' })).body.user_id).toBe('user_dev_alice');
      expectError(await call(srv.url, 'GET', '/api/users/me', { token: 'dev_a/b' }), 401, 'TOKEN_INVALID');
      expect((await call(srv.url, 'GET', '/api/users/me', { token: await oidc.idToken('real') })).status).toBe(404); // valid, not registered
    } finally {
      await srv.stop();
      await oidc.close();
    }
  });

  test('dev tokens alone work without an OIDC provider configured', async () => {
    const srv = await startServer({ oidc_audience: [], oidc_dev_tokens: true });
    try {
      expect((await call(srv.url, 'GET', '/api/users/me', { token: 'dev_bob' })).status).toBe(404);
      expectError(await call(srv.url, 'GET', '/api/users/me', { token: 'eyJ.real.token' }), 503, 'CHAT_NOT_CONFIGURED');
    } finally {
      await srv.stop();
    }
  });

  test('an oidc_jwks_url that is not an http(s) URL is refused at startup', async () => {
    await expect(startServer({ oidc_audience: ['app'], oidc_jwks_url: 'file:///etc/passwd' })).rejects.toThrow(/oidc_jwks_url/);
  });
});
