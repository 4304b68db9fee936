/**
 * The account oracle: a stranger who asks POST /api/v1/auth/token about phone hashes (a challenge,
 * then any signature) learns nothing about which are registered. An unknown phone hash and a
 * registered one with a wrong signature get the same status, code and message (and the server
 * verifies a signature in both cases, against a decoy key for the unknown one). The registered user
 * still logs in.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startServer, type RunningServer } from '../support/test-server.js';
import { call, identityKey, loginToken, phoneHash, register, registration, signNonce, type ApiResponse } from '../accounts/account-kit.js';

let srv: RunningServer;
beforeAll(async () => {
  srv = await startServer(); // strict, defaults
});
afterAll(() => srv.stop());

/** A stranger's login for `hash`: a real server nonce, signed with a key of the stranger's own. */
async function strangerLogin(hash: string): Promise<ApiResponse> {
  const challenge = await call(srv.url, 'POST', '/api/v1/auth/challenge', { json: { phone_hash: hash } });
  expect(challenge.status).toBe(200);
  const nonce = challenge.body.nonce as string;
  return call(srv.url, 'POST', '/api/v1/auth/token', { json: { phone_hash: hash, nonce, signature: signNonce(identityKey(), nonce) } });
}

const withoutTimestamp = ({ status, body }: ApiResponse) => ({ status, detail: body.detail, error_code: body.error_code });

test('a registered and an unknown phone hash answer the same; the account owner still logs in', async () => {
  const owner = registration([1]);
  expect((await register(srv, owner.body)).status).toBe(200);

  const registered = await strangerLogin(owner.phoneHash);
  const unknown = await strangerLogin(phoneHash());
  expect(withoutTimestamp(registered)).toEqual({ status: 401, detail: 'Invalid signature', error_code: 'INVALID_SIGNATURE' });
  expect(withoutTimestamp(unknown)).toEqual(withoutTimestamp(registered));
  expect(Object.keys(unknown.body).sort()).toEqual(Object.keys(registered.body).sort());

  // The bystander: the owner's own login is untouched by the probes.
  expect(await loginToken(srv, owner)).toEqual(expect.any(String));
});
