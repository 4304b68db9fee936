// Chat-app users: registration (an upsert answering the user as stored), the caller's profile,
// public keys one by one and in bulk, and search, over real HTTP with real ID tokens.
import { describe, expect, test } from 'vitest';
import { expectError } from '../auth/api.js';
import { publicKeyOf, useChatServer } from './chat-kit.js';

const chat = useChatServer();

const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('POST /api/register', () => {
  test('creates the user from the token: user_<sub>, email and name claims, ISO times', async () => {
    const token = await chat.oidc.idToken('reg-1', { email: 'Ada@Example.org', email_verified: true, name: 'Ada Lovelace' });
    const answer = await chat.api('POST', '/api/register', { json: { google_id_token: token, public_key: publicKeyOf('ada') } });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      user_id: 'user_reg-1',
      email: 'Ada@Example.org',
      display_name: 'Ada Lovelace',
      public_key: publicKeyOf('ada'),
      created_at: expect.stringMatching(ISO_UTC),
      last_seen: expect.stringMatching(ISO_UTC),
    });
    expect((await chat.api('GET', '/api/users/me', { token })).body).toEqual(answer.body);
  });

  test('registering again updates the key and display name and answers the user as now stored', async () => {
    const token = await chat.oidc.idToken('reg-2', { email: 'grace@example.org', email_verified: true, name: 'Grace' });
    const first = (await chat.api('POST', '/api/register', { json: { google_id_token: token, public_key: publicKeyOf('old') } })).body;
    const second = await chat.api('POST', '/api/register', { json: { google_id_token: token, public_key: publicKeyOf('new'), display_name: 'Rear Admiral' } });
    expect(second.body).toMatchObject({ user_id: 'user_reg-2', public_key: publicKeyOf('new'), display_name: 'Rear Admiral', created_at: first.created_at });
    // Without a display name (or with an empty one) the stored one is kept.
    const third = await chat.api('POST', '/api/register', { json: { google_id_token: token, public_key: publicKeyOf('newer'), display_name: '' } });
    expect(third.body).toMatchObject({ public_key: publicKeyOf('newer'), display_name: 'Rear Admiral' });
    expect((await chat.api('GET', '/api/users/user_reg-2/public-key', { token })).body).toEqual({ user_id: 'user_reg-2', public_key: publicKeyOf('newer') });
  });

  test('an unverified email is not taken from the token', async () => {
    const token = await chat.oidc.idToken('reg-3', { email: 'ceo@bank.example', email_verified: false, name: 'Mallory' });
    expect((await chat.api('POST', '/api/register', { json: { google_id_token: token, public_key: 'AAAA' } })).body).toMatchObject({
      email: '',
      display_name: 'Mallory',
    });
  });

  test('an invalid token is 400 "Registration failed", as the original answered', async () => {
    const answer = await chat.api('POST', '/api/register', {
      json: { google_id_token: await chat.oidc.idToken('x', {}, { expiresIn: -600 }), public_key: 'AAAA' },
    });
    expectError(answer, 400, 'TOKEN_INVALID');
    expect(answer.body.detail).toBe('Registration failed');
  });

  test('bad bodies are 422 (400 for lone surrogates and broken JSON), never 5xx, and store nothing', async () => {
    const token = await chat.oidc.idToken('reg-bad');
    const bodies: unknown[] = [
      {},
      { google_id_token: token },
      { public_key: 'AAAA' },
      { google_id_token: 42, public_key: 'AAAA' },
      { google_id_token: token, public_key: ['AAAA'] },
      { google_id_token: token, public_key: 'AAAA', display_name: 7 },
      { google_id_token: token, public_key: 'not base64!' },
      { google_id_token: token, public_key: 'AAA' },
      { google_id_token: token, public_key: 'AAAA\nAAAA' },
      { google_id_token: token, public_key: 'QR==' }, // non-canonical: the padding bits are not zero
      { google_id_token: token, public_key: '' },
      { google_id_token: token, public_key: Buffer.alloc(8193).toString('base64') },
      { google_id_token: 't'.repeat(16_385), public_key: 'AAAA' },
      { google_id_token: token, public_key: 'AAAA', display_name: 'd'.repeat(101) },
      ['not', 'an', 'object'],
      'a string',
      null,
    ];
    for (const json of bodies) {
      const answer = await chat.api('POST', '/api/register', { json });
      expect(answer.status, JSON.stringify(json).slice(0, 80)).toBe(422);
      expectError(answer, 422);
    }
    expectError(
      await chat.api('POST', '/api/register', { raw: `{"google_id_token": "${token}", "public_key": "AAAA", "display_name": "\\ud800"}` }),
      400,
      'INVALID_STRING',
    );
    expectError(await chat.api('POST', '/api/register', { raw: '{"google_id_token": ' }), 400, undefined);
    expectError(await chat.api('GET', '/api/users/me', { token }), 404, 'USER_NOT_FOUND');
    // The largest key accepted.
    expect((await chat.api('POST', '/api/register', { json: { google_id_token: token, public_key: Buffer.alloc(8192, 1).toString('base64') } })).status).toBe(
      200,
    );
  });
});

describe('users and public keys', () => {
  test('GET /api/users/me is 404 "User not found" until the caller registers', async () => {
    const stranger = await chat.signIn('stranger');
    const answer = await chat.api('GET', '/api/users/me', { token: stranger.token });
    expectError(answer, 404, 'USER_NOT_FOUND');
    expect(answer.body.detail).toBe('User not found');
  });

  test("one user's public key; 404 for an unknown user", async () => {
    const [alice, bob] = [await chat.user('alice'), await chat.user('bob')];
    expect((await chat.api('GET', `/api/users/${bob.id}/public-key`, { token: alice.token })).body).toEqual({ user_id: bob.id, public_key: bob.publicKey });
    const missing = await chat.api('GET', '/api/users/user_nobody/public-key', { token: alice.token });
    expectError(missing, 404, 'PUBLIC_KEY_NOT_FOUND');
    expect(missing.body.detail).toBe('Public key not found');
    expectError(await chat.api('GET', `/api/users/${'u'.repeat(101)}/public-key`, { token: alice.token }), 404, 'NOT_FOUND');
  });

  test('public keys in bulk from a bare JSON array; unknown ids are left out', async () => {
    const [alice, bob, carol] = [await chat.user('alice'), await chat.user('bob'), await chat.user('carol')];
    const answer = await chat.api('POST', '/api/users/public-keys', { token: alice.token, json: [bob.id, carol.id, 'user_ghost', bob.id] });
    expect(answer.body).toEqual({ public_keys: { [bob.id]: bob.publicKey, [carol.id]: carol.publicKey } });
    expect((await chat.api('POST', '/api/users/public-keys', { token: alice.token, json: [] })).body).toEqual({ public_keys: {} });
    expect((await chat.api('POST', '/api/users/public-keys', { token: alice.token, json: Array.from({ length: 500 }, (_, i) => `user_${i}`) })).status).toBe(
      200,
    );
  });

  test('bulk lookups: non-arrays, non-strings, more than 500 ids are 422; no token is 401 before any validation', async () => {
    const alice = await chat.user('alice');
    for (const json of [{ ids: [alice.id] }, alice.id, [1, 2], [null], [alice.id, ['nested']], Array.from({ length: 501 }, (_, i) => `user_${i}`)]) {
      expectError(await chat.api('POST', '/api/users/public-keys', { token: alice.token, json }), 422, 'VALIDATION_FAILED');
    }
    expectError(await chat.api('POST', '/api/users/public-keys', { token: alice.token }), 422, 'VALIDATION_FAILED');
    expectError(await chat.api('POST', '/api/users/public-keys', { token: alice.token, raw: '["\\udc00"]' }), 400, 'INVALID_STRING');
    expectError(await chat.api('POST', '/api/users/public-keys', { json: { not: 'a list' } }), 401, 'TOKEN_REQUIRED');
  });
});

describe('GET /api/users/search', () => {
  test('case-insensitive substring of email or display name, at most 20', async () => {
    const searcher = await chat.user('searcher');
    const token = async (sub: string, email: string, name: string) => chat.oidc.idToken(sub, { email, email_verified: true, name });
    await chat.api('POST', '/api/register', { json: { google_id_token: await token('s-zoe', 'zoe@quokka.example', 'Zoë Ünicode'), public_key: 'AAAA' } });
    await chat.api('POST', '/api/register', { json: { google_id_token: await token('s-zed', 'zed@other.example', 'Zed QUOKKA'), public_key: 'AAAA' } });
    const found = await chat.api('GET', '/api/users/search', { token: searcher.token, query: { q: 'QuOkKa' } });
    expect(found.body.users.map((u: { user_id: string }) => u.user_id)).toEqual(['user_s-zoe', 'user_s-zed']);
    expect(found.body.users[0]).toMatchObject({ email: 'zoe@quokka.example', display_name: 'Zoë Ünicode', public_key: 'AAAA' });
    expect((await chat.api('GET', '/api/users/search', { token: searcher.token, query: { q: 'zoË ü' } })).body.users).toHaveLength(1);

    for (let i = 0; i < 22; i++)
      await chat.api('POST', '/api/register', { json: { google_id_token: await token(`many-${i}`, `many${i}@crowd.example`, 'Crowd'), public_key: 'AAAA' } });
    expect((await chat.api('GET', '/api/users/search', { token: searcher.token, query: { q: 'crowd' } })).body.users).toHaveLength(20);
  });

  test('% and _ are plain characters, not wildcards', async () => {
    const searcher = await chat.user('searcher');
    await chat.api('POST', '/api/register', {
      json: { google_id_token: await chat.oidc.idToken('pct', { email: 'x@y.example', email_verified: true, name: '100% real_name' }), public_key: 'AAAA' },
    });
    const ids = async (q: string) =>
      (await chat.api('GET', '/api/users/search', { token: searcher.token, query: { q } })).body.users.map((u: { user_id: string }) => u.user_id);
    expect(await ids('%')).toEqual(['user_pct']);
    expect(await ids('_')).toEqual(['user_pct']);
    expect(await ids('0% r')).toEqual(['user_pct']);
    expect(await ids('%%')).toEqual([]);
    expect(await ids('.*')).toEqual([]); // nor a regular expression, as the original's Mongo $regex was
  });

  test('q is required, 1 to 100 characters', async () => {
    const searcher = await chat.user('searcher');
    for (const query of [{}, { q: '' }, { q: 'q'.repeat(101) }] as Record<string, string>[])
      expectError(await chat.api('GET', '/api/users/search', { token: searcher.token, query }), 422, 'VALIDATION_FAILED');
    expectError(await chat.api('GET', '/api/users/search', { query: { q: 'a' } }), 401, 'TOKEN_REQUIRED');
  });
});

test('the chat-app routes are documented in /openapi.json', async () => {
  const spec = await chat.api('GET', '/openapi.json');
  expect(Object.keys(spec.body.paths)).toEqual(
    expect.arrayContaining([
      '/api/register',
      '/api/users/me',
      '/api/users/{user_id}/public-key',
      '/api/users/public-keys',
      '/api/users/search',
      '/api/groups',
      '/api/groups/{group_id}',
      '/api/groups/{group_id}/members',
      '/api/groups/{group_id}/members/{user_id}',
    ]),
  );
});
