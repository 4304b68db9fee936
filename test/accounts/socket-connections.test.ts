/** WS /ws?token=: who may connect (1008), capacity (1013), one connection per account (4000), frame floods. */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { forgeToken, withSubject, type ForgedClaims } from '../support/forged-token.js';
import { statusFigure } from '../support/server-status.js';
import { eventually, startServer, type RunningServer } from '../support/test-server.js';
import { account, accountSocket, ask, call, connectAs, expectError, LIFTED, roundTrip } from './account-kit.js';

const SECRET = randomBytes(32).toString('hex');

let srv: RunningServer;
beforeAll(async () => {
  srv = await startServer({ ...LIFTED, jwt_secret: SECRET });
});
afterAll(() => srv.stop());

const accountConnections = (server: RunningServer) => statusFigure(server, 'account_connections');

/** A token as the server would sign it, with claims of our choosing. */
const forge = (claims: Omit<ForgedClaims, 'aud'> & { aud?: string }, secret = SECRET) => forgeToken(secret, { ...claims, aud: claims.aud ?? 'whispr-account' });

async function expectRefused(server: RunningServer, token: string, code = 1008, reason = 'Invalid or expired token'): Promise<void> {
  const socket = await accountSocket(server, token);
  expect(await socket.closed).toEqual({ code, reason });
  expect(socket.frames).toEqual([]);
}

describe('who may connect', () => {
  test('a valid account token connects; ping is answered with pong', async () => {
    const alice = await account(srv);
    const socket = await connectAs(srv, alice);
    expect(await ask(socket, { type: 'ping' })).toEqual({ type: 'pong' });
    socket.ws.close();
  });

  test('a forged token of our own making is accepted only because the secret is right (control for the cases below)', async () => {
    const alice = await account(srv);
    const socket = await accountSocket(srv, await forge({ sub: alice.userId }));
    await roundTrip(socket);
    socket.ws.close();
  });

  test.each([
    ['garbage', async () => 'garbage'],
    ['empty', async () => ''],
    ['three dots', async () => 'a.b.c'],
  ])('a %s token is closed with 1008 after the upgrade', async (_name, token) => {
    await expectRefused(srv, await token());
  });

  test('an expired token is closed with 1008', async () => {
    const alice = await account(srv);
    const now = Math.floor(Date.now() / 1000);
    const expired = await forge({ sub: alice.userId, iat: now - 3600, exp: now - 10 });
    await expectRefused(srv, expired);
    expectError(await call(srv.url, 'GET', '/api/v1/keys', { token: expired }), 401);
    // The same claims, unexpired, are accepted: it is the expiry that is refused.
    expect((await call(srv.url, 'GET', '/api/v1/keys', { token: await forge({ sub: alice.userId }) })).status).toBe(200);
  });

  test('a token signed with another secret is closed with 1008', async () => {
    const alice = await account(srv);
    await expectRefused(srv, await forge({ sub: alice.userId }, randomBytes(32).toString('hex')));
  });

  test('a tampered token (payload swapped, signature kept) is closed with 1008', async () => {
    const alice = await account(srv);
    const bob = await account(srv);
    await expectRefused(srv, withSubject(await alice.accessToken(), bob.userId));
  });

  test('an unsigned (alg none) token is closed with 1008', async () => {
    const alice = await account(srv);
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    await expectRefused(srv, `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub: alice.userId, iss: 'whispr', aud: 'whispr-account', exp: 9_999_999_999 })}.`);
  });

  test('a well-signed token of an unknown user is closed with 1008', async () => {
    await expectRefused(srv, await forge({ sub: randomUUID() }));
  });

  test('a well-signed token for another audience (a Whispr key token) is closed with 1008', async () => {
    const alice = await account(srv);
    await expectRefused(srv, await forge({ sub: alice.userId, aud: 'whispr-api' }));
    await expectRefused(srv, await srv.client().authenticate('ed25519'));
  });

  test('a refused socket is not counted as an account connection', async () => {
    await expectRefused(srv, 'garbage');
    await eventually(async () => (await accountConnections(srv)) === 0);
  });
});

describe('one connection per account', () => {
  test('a second connection of the same account closes the first with 4000; the second works', async () => {
    const alice = await account(srv);
    const bob = await account(srv);
    const first = await connectAs(srv, alice);
    const second = await connectAs(srv, alice);
    expect(await first.closed).toEqual({ code: 4000, reason: 'replaced by a newer connection' });
    await roundTrip(second);

    // Messages now go to the second connection only.
    const bobSocket = await connectAs(srv, bob);
    const sent = await ask(bobSocket, { type: 'encrypted_message', recipient_id: alice.userId, payload: 'aGk=' });
    expect(sent.type).toBe('sent');
    const got = await second.next((f) => f.type === 'encrypted_message');
    expect(got.message_id).toBe(sent.message_id);
    await eventually(async () => (await accountConnections(srv)) === 2);
    second.ws.close();
    bobSocket.ws.close();
    await eventually(async () => (await accountConnections(srv)) === 0);
  });

  test('two different accounts stay connected side by side', async () => {
    const [a, b] = [await account(srv), await account(srv)];
    const sa = await connectAs(srv, a);
    const sb = await connectAs(srv, b);
    await roundTrip(sa);
    await roundTrip(sb);
    expect(sa.ws.readyState).toBe(sa.ws.OPEN);
    sa.ws.close();
    sb.ws.close();
  });
});

describe('capacity', () => {
  test('past account_max_connections a new account is closed with 1013; the first is untouched', async () => {
    const full = await startServer({ ...LIFTED, account_max_connections: 1 });
    try {
      const [a, b] = [await account(full), await account(full)];
      const first = await connectAs(full, a);
      await roundTrip(first);
      const refused = await connectAs(full, b);
      expect((await refused.closed).code).toBe(1013);
      await roundTrip(first);
      // Once the first leaves, there is room again.
      first.ws.close();
      await eventually(async () => (await accountConnections(full)) === 0);
      const later = await connectAs(full, b);
      await roundTrip(later);
      later.ws.close();
    } finally {
      await full.stop();
    }
  });
});

describe('frame floods', () => {
  test('more frames than websocket_frames_per_second allows closes the socket with 1008', async () => {
    const slow = await startServer({ ...LIFTED, websocket_frames_per_second: 1 });
    try {
      const socket = await connectAs(slow, await account(slow));
      for (let i = 0; i < 20; i++) socket.send({ type: 'ping' });
      expect(await socket.closed).toEqual({ code: 1008, reason: 'too many frames' });
      // The burst (2 x the rate) was served before the cut.
      expect(socket.frames.filter((f) => f.type === 'pong').length).toBeLessThanOrEqual(2);
    } finally {
      await slow.stop();
    }
  });

  test('frames within the rate are all answered', async () => {
    const slow = await startServer({ ...LIFTED, websocket_frames_per_second: 5 });
    try {
      const socket = await connectAs(slow, await account(slow));
      for (let i = 0; i < 10; i++) socket.send({ type: 'ping' });
      await eventually(() => socket.frames.length === 10);
      expect(socket.ws.readyState).toBe(socket.ws.OPEN);
      socket.ws.close();
    } finally {
      await slow.stop();
    }
  });
});
