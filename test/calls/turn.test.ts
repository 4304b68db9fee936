/**
 * GET /api/v1/turn-credentials with either kind of bearer token (a Whispr key token, a private-comm
 * account token), and a real coturn (started here with use-auth-secret) that accepts an allocation
 * with the credentials Whispr issues and refuses expired, forged or tampered ones.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { account, LIFTED } from '../accounts/account-kit.js';
import { expectError, getJson } from '../relay/helpers.js';
import { coturnInstalled, expectRefused, expectRelayed, startServerWithCoturn, turnCredential, type Coturn, type TurnSetup } from '../support/coturn.js';
import { forgeToken, withSubject } from '../support/forged-token.js';
import { eventually, startServer, type RunningServer } from '../support/test-server.js';

const SECRET = randomBytes(24).toString('hex');
/** The servers' token secret, so that the tests can sign expired or foreign tokens the way the server would. */
const JWT_SECRET = randomBytes(32).toString('hex');
const TTL = 120;

interface Credentials {
  urls: string[];
  username: string;
  credential: string;
  ttl: number;
  ice_servers: Array<{ urls: string | string[]; username?: string; credential?: string }>;
}

const sign = (username: string, secret = SECRET) => turnCredential(username, secret);
const fetchCredentials = (srv: RunningServer, token: string) => getJson(srv.url, '/api/v1/turn-credentials', { authorization: `Bearer ${token}` });

async function issued(srv: RunningServer, token: string): Promise<Credentials> {
  const response = await fetchCredentials(srv, token);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body as Credentials;
}

/** Credentials for a fresh Whispr key token: `user` is the key it proved. */
async function keyCredentials(srv: RunningServer): Promise<{ user: string; body: Credentials }> {
  const client = srv.client();
  return { user: client.address, body: await issued(srv, await client.authenticate('x25519')) };
}

/** Credentials for a fresh private-comm account's token (from POST /api/v1/auth/token): `user` is its user_id. */
async function accountCredentials(srv: RunningServer): Promise<{ user: string; token: string; body: Credentials }> {
  const owner = await account(srv);
  const token = await owner.accessToken();
  return { user: owner.userId, token, body: await issued(srv, token) };
}

/** The user part of a TURN REST username "<expiry>:<user>". */
const userOf = (credentials: Credentials) => credentials.username.split(':')[1];

describe('GET /api/v1/turn-credentials', () => {
  const turnConfig = {
    turn_secret: SECRET,
    turn_urls: ['turn:turn.whispr.test:3478?transport=udp', 'turns:turn.whispr.test:5349?transport=tcp'],
    stun_urls: ['stun:turn.whispr.test:3478', 'stun:stun2.whispr.test:3478'],
    turn_ttl_seconds: TTL,
    jwt_secret: JWT_SECRET,
    ...LIFTED,
  };
  let strict: RunningServer;
  let compat: RunningServer;
  let unconfigured: RunningServer;
  beforeAll(async () => {
    [strict, compat, unconfigured] = await Promise.all([startServer(turnConfig), startServer({ ...turnConfig, security: 'compat' }), startServer()]);
  });
  afterAll(async () => {
    await Promise.all([strict, compat, unconfigured].map((s) => s?.stop()));
  });
  const servers = () => [strict, compat];

  test.each(['strict', 'compat'] as const)('needs a bearer token in %s mode too (401 without or with a bad one)', async (mode) => {
    const srv = mode === 'strict' ? strict : compat;
    expectError(await getJson(srv.url, '/api/v1/turn-credentials'), 401, 'TOKEN_REQUIRED');
    expectError(await getJson(srv.url, '/api/v1/turn-credentials', { authorization: 'Bearer garbage' }), 401, 'TOKEN_INVALID');
  });

  test('issues TURN REST credentials: username "<expiry>:<key>", credential = base64 HMAC-SHA1(secret, username)', async () => {
    for (const srv of servers()) {
      const { user, body } = await keyCredentials(srv);
      const [expiry] = body.username.split(':');
      expect(userOf(body)).toBe(user);
      expect(Number(expiry)).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + TTL - 5);
      expect(Number(expiry)).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + TTL + 1);
      expect(body.credential).toBe(sign(body.username));
      expect(body).toEqual({
        urls: turnConfig.turn_urls,
        username: body.username,
        credential: body.credential,
        ttl: TTL,
        ice_servers: [{ urls: turnConfig.stun_urls }, { urls: turnConfig.turn_urls, username: body.username, credential: body.credential }],
      });
    }
  });

  test('a private-comm account token works too (it was 401 TOKEN_INVALID): the username names that account’s user_id', async () => {
    for (const srv of servers()) {
      const [alice, bob] = [await accountCredentials(srv), await accountCredentials(srv)];
      for (const { user, body } of [alice, bob]) {
        expect(userOf(body)).toBe(user);
        expect(body.credential).toBe(sign(body.username));
        expect(body).toMatchObject({ urls: turnConfig.turn_urls, ttl: TTL });
      }
      expect(userOf(alice.body)).not.toBe(userOf(bob.body));
      // Asked again, the same token names the same account.
      expect(userOf(await issued(srv, alice.token))).toBe(alice.user);
    }
  });

  test('an expired, tampered or foreign token of either kind is 401 TOKEN_INVALID; no token names another caller', async () => {
    const alice = await account(strict);
    const bob = await account(strict);
    const keyClient = strict.client();
    const keyToken = await keyClient.authenticate('x25519');
    const past = { iat: Math.floor(Date.now() / 1000) - 3600, exp: Math.floor(Date.now() / 1000) - 10 };
    const refused = [
      await forgeToken(JWT_SECRET, { aud: 'whispr-account', sub: alice.userId, ...past }),
      await forgeToken(JWT_SECRET, { aud: 'whispr-api', sub: keyClient.address, extra: { kt: 'x25519' }, ...past }),
      withSubject(await alice.accessToken(), bob.userId),
      withSubject(keyToken, strict.client().address),
      await forgeToken(randomBytes(32).toString('hex'), { aud: 'whispr-account', sub: alice.userId }),
      // Well signed, but no such account.
      await forgeToken(JWT_SECRET, { aud: 'whispr-account', sub: randomUUID() }),
    ];
    for (const token of refused) expectError(await fetchCredentials(strict, token), 401, 'TOKEN_INVALID');
    // Control: the same claims unexpired are accepted, so it is the expiry that was refused above.
    expect(userOf(await issued(strict, await forgeToken(JWT_SECRET, { aud: 'whispr-account', sub: alice.userId })))).toBe(alice.userId);
    expect(userOf(await issued(strict, await forgeToken(JWT_SECRET, { aud: 'whispr-api', sub: keyClient.address, extra: { kt: 'x25519' } })))).toBe(
      keyClient.address,
    );
  });

  test('without a TURN secret or URLs it answers 503 TURN_NOT_CONFIGURED with Retry-After', async () => {
    const token = await unconfigured.client().authenticate('x25519');
    const response = await getJson(unconfigured.url, '/api/v1/turn-credentials', { authorization: `Bearer ${token}` });
    expectError(response, 503, 'TURN_NOT_CONFIGURED');
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((response.body as { detail: string }).detail).toMatch(/TURN/);
  });
});

describe.skipIf(!coturnInstalled('test/calls/turn.test.ts'))('a real coturn with use-auth-secret', () => {
  let setup: TurnSetup | undefined;
  let turn: Coturn;
  let srv: RunningServer;

  beforeAll(async () => {
    setup = await startServerWithCoturn(SECRET, { turn_ttl_seconds: TTL, ...LIFTED });
    ({ turn, srv } = setup);
  });
  afterAll(() => setup?.stop());

  test('accepts an allocation with credentials issued by Whispr', async () => {
    const { body } = await keyCredentials(srv);
    expect(body.urls).toEqual([`turn:127.0.0.1:${turn.port}?transport=udp`]);
    expectRelayed(await turn.allocate(body.username, body.credential));
  });

  test('accepts an allocation with credentials issued for a private-comm account token', async () => {
    const { user, body } = await accountCredentials(srv);
    expect(userOf(body)).toBe(user);
    expectRelayed(await turn.allocate(body.username, body.credential));
  });

  test('refuses an account credential tampered to name another account, or with a changed credential', async () => {
    const alice = await accountCredentials(srv);
    const bob = await accountCredentials(srv);
    const [expiry] = alice.body.username.split(':');
    expectRefused(await turn.allocate(`${expiry}:${bob.user}`, alice.body.credential));
    expectRefused(await turn.allocate(alice.body.username, bob.body.credential));
  });

  test('refuses an expired credential, even correctly signed with the secret', async () => {
    const { user } = await keyCredentials(srv);
    const username = `${Math.floor(Date.now() / 1000) - 60}:${user}`;
    expectRefused(await turn.allocate(username, sign(username)));
    await eventually(() => turn.log().includes(`<${username}>`), 2_000);
  });

  test('refuses a forged credential (a valid username with a credential not made from the secret)', async () => {
    const { body } = await keyCredentials(srv);
    for (const credential of [sign(body.username, 'not-the-secret'), (body.credential.startsWith('AAAA') ? 'BBBB' : 'AAAA') + body.credential.slice(4)]) {
      expectRefused(await turn.allocate(body.username, credential));
    }
    // A username whose expiry was pushed out by the client is not covered by the server's signature either.
    const extended = `${Math.floor(Date.now() / 1000) + 86_400 * 365}:${userOf(body)}`;
    expectRefused(await turn.allocate(extended, body.credential));
  });
});
