/**
 * The private-comm mobile client (sarpel/crypto-messager-caller, private-comm-client/src on its
 * newest branch, z145) replayed against a compat server: its calls in its order, with its headers and
 * field names, asserting what the client reads from each answer. Facts taken from the client:
 * - ApiService.request sends every call with `Content-Type: application/json` and no other header.
 * - register: POST /api/v1/register with the one-time prekeys as SignalProtocol.generateOneTimePreKeys
 *   makes them: camelCase `{keyId, publicKey}`, ids counted up from Date.now(); reads `{status, user_id}`.
 * - login: KeyManager.generateAuthSignature signs its own random 32-byte hex nonce (UTF-8 text) with
 *   the identity key, signature in hex; POST /api/v1/auth/token `{phone_hash, nonce, signature}`;
 *   reads `{token, expires_in}` (and the user_id our server adds).
 * - bundle: GET /api/v1/keys/{phone_hash}, no token; reads identity_key, signed_prekey,
 *   prekey_signature, one_time_prekey `{key_id, public_key}`.
 * - WebSocketService: `ws://host/ws?token=<token>`, frames JSON; WebRTCService sends call_offer /
 *   call_answer `{recipient_id, sdp}`, ice_candidate `{recipient_id, candidate: RTCIceCandidate.toJSON()}`,
 *   call_end `{recipient_id}`, and fetches TURN credentials before an offer and before answering one,
 *   reading `urls` (each a string), `username`, `credential`, `ttl`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TurnCredentials } from 'whispr-sdk/wire';
import { openSealed, seal, sign, text, verify, type KeyPair, toBase64, toHex } from 'whispr-sdk';
import { accountSocket, identityKey, x25519, type AccountSocket } from '../accounts/account-kit.js';
import { expectError, getJson, postText, type RawResponse } from '../relay/helpers.js';
import { coturnInstalled, expectRefused, expectRelayed, startServerWithCoturn, type Coturn, type TurnSetup } from '../support/coturn.js';
import type { RunningServer } from '../support/test-server.js';

const TURN_SECRET = randomBytes(24).toString('hex');
/** KeyManager.hashPhoneNumber(phoneNumber, salt): SHA-256 hex of number + salt. */
const hashPhoneNumber = (phoneNumber: string) => createHash('sha256').update(`${phoneNumber}privcomm-salt`).digest('hex');
/** ApiService.request: the only header the client ever sets (also on GETs without a body). */
const JSON_HEADER = { 'content-type': 'application/json' };

/** One phone running the client: its keys (the native module's job) and what it learned from the server. */
interface Phone {
  phoneHash: string;
  identity: KeyPair;
  oneTimePrekeys: Array<{ keyId: number; pair: KeyPair }>;
  userId: string;
  token: string;
  socket: AccountSocket;
}

/** What WebRTCService reads of the TURN answer (TurnCredentialsResponse). */
type TurnAnswer = Pick<TurnCredentials, 'urls' | 'username' | 'credential' | 'ttl'>;

describe.skipIf(!coturnInstalled('test/compat/private-comm-client.test.ts'))(
  "the private-comm mobile client's calls, in its order and shapes, against a compat server",
  () => {
    let setup: TurnSetup | undefined;
    let turn: Coturn;
    let srv: RunningServer;

    beforeAll(async () => {
      // compat: the client signs a nonce of its own (it never asks /api/v1/auth/challenge) and fetches bundles without a token.
      setup = await startServerWithCoturn(TURN_SECRET, { security: 'compat', turn_ttl_seconds: 3600 });
      ({ turn, srv } = setup);
    });
    afterAll(() => setup?.stop());

    const post = (path: string, body: unknown) => postText(srv.url, path, JSON.stringify(body));
    const get = (path: string, headers: Record<string, string> = {}) => getJson(srv.url, path, { ...JSON_HEADER, ...headers });

    /** Registration (SignalProtocol + apiService.register), then login (KeyManager.generateAuthSignature + apiService.getWebSocketToken). */
    async function registerAndLogIn(phoneNumber: string): Promise<Omit<Phone, 'socket'>> {
      const phoneHash = hashPhoneNumber(phoneNumber);
      const identity = identityKey();
      // PrekeyIdCounter counts from Date.now(); the signed prekey takes the first id (kept on the phone, never sent).
      let prekeyId = Date.now() + 1;
      const signedPrekey = x25519();
      const oneTimePrekeys = Array.from({ length: 100 }, () => ({ keyId: prekeyId++, pair: x25519() }));
      const registered = await post('/api/v1/register', {
        phone_hash: phoneHash,
        identity_key: toBase64(identity.publicKey),
        signed_prekey: toBase64(signedPrekey.publicKey),
        prekey_signature: toBase64(sign(identity, signedPrekey.publicKey)),
        one_time_prekeys: oneTimePrekeys.map(({ keyId, pair }) => ({ keyId, publicKey: toBase64(pair.publicKey) })),
      });
      expect(registered.status, JSON.stringify(registered.body)).toBe(200);
      expect(registered.body).toEqual({ status: 'registered', user_id: expect.any(String) });
      const { user_id: userId } = registered.body as { user_id: string };

      const nonce = randomBytes(32).toString('hex');
      const login = await post('/api/v1/auth/token', { phone_hash: phoneHash, nonce, signature: toHex(sign(identity, Buffer.from(nonce, 'utf8'))) });
      expect(login.status, JSON.stringify(login.body)).toBe(200);
      expect(login.body).toMatchObject({ token: expect.any(String), expires_in: 1800, user_id: userId });
      return { phoneHash, identity, oneTimePrekeys, userId, token: (login.body as { token: string }).token };
    }

    /** apiService.getKeyBundle: checked the way createSession uses it (the signed prekey verifies under the identity key). */
    async function fetchBundle(of: Omit<Phone, 'socket'>): Promise<{ user_id: string; prekey: Buffer }> {
      const answer = await get(`/api/v1/keys/${of.phoneHash}`);
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      const bundle = answer.body as {
        user_id: string;
        identity_key: string;
        signed_prekey: string;
        prekey_signature: string;
        one_time_prekey: { key_id: number; public_key: string };
      };
      expect(bundle.identity_key).toBe(toBase64(of.identity.publicKey));
      expect(
        verify(Buffer.from(bundle.identity_key, 'base64'), Buffer.from(bundle.signed_prekey, 'base64'), Buffer.from(bundle.prekey_signature, 'base64')),
      ).toBe(true);
      const [first] = of.oneTimePrekeys;
      // A Date.now()-sized key id, beyond 32 bits, comes back as sent.
      expect(bundle.one_time_prekey).toEqual({ key_id: first!.keyId, public_key: toBase64(first!.pair.publicKey) });
      expect(bundle.user_id).toBe(of.userId);
      return { user_id: bundle.user_id, prekey: Buffer.from(bundle.one_time_prekey.public_key, 'base64') };
    }

    /**
     * WebRTCService.fetchTurnCredentials. As written the client sends no token here (and would carry on
     * with STUN only); the route's contract in the client's API.md is the account token as
     * `Authorization: Bearer`, which is what a client that sends one sends.
     */
    async function fetchTurn(phone: Phone): Promise<TurnAnswer> {
      expectError(await get('/api/v1/turn-credentials'), 401, 'TOKEN_REQUIRED');
      const answer: RawResponse = await get('/api/v1/turn-credentials', { authorization: `Bearer ${phone.token}` });
      // The regression: the account token was refused here with 401 TOKEN_INVALID.
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      const body = answer.body as TurnAnswer;
      expect(body.urls).toEqual([`turn:127.0.0.1:${turn.port}?transport=udp`]);
      expect(body.ttl).toBe(3600);
      // The username names this phone's own account.
      expect(body.username).toMatch(new RegExp(`^\\d+:${phone.userId}$`));
      expect(body.credential).toEqual(expect.any(String));
      return body;
    }

    test('health, register, log in, fetch bundles, message, call with TURN (checked on coturn), hang up', async () => {
      const health = await get('/health/');
      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({ status: 'healthy', services: { database: 'connected' } });

      const [aliceAccount, bobAccount] = [await registerAndLogIn('+905551110001'), await registerAndLogIn('+905551110002')];
      const bobBundle = await fetchBundle(bobAccount);
      const aliceBundle = await fetchBundle(aliceAccount);
      expect(aliceBundle.user_id).not.toBe(bobBundle.user_id);

      // webSocketService.connect(token): `${url}?token=${token}` (a JWT needs no escaping, so the helper's encoding changes nothing).
      expect(aliceAccount.token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      const alice: Phone = { ...aliceAccount, socket: await accountSocket(srv, aliceAccount.token) };
      const bob: Phone = { ...bobAccount, socket: await accountSocket(srv, bobAccount.token) };

      // An encrypted message, sealed to the one-time prekey from Bob's bundle; Bob reads sender_id and payload.
      const payload = toBase64(seal(bobBundle.prekey, 'hello Bob'));
      alice.socket.send({ type: 'encrypted_message', recipient_id: bobBundle.user_id, payload });
      const message = await bob.socket.next((f) => f.type === 'encrypted_message');
      expect(message).toMatchObject({ sender_id: alice.userId, payload, timestamp: expect.any(String) });
      expect(text(openSealed(bob.oneTimePrekeys[0]!.pair, Buffer.from(message.payload as string, 'base64')))).toBe('hello Bob');

      // startCall: TURN credentials first, then the offer.
      const aliceTurn = await fetchTurn(alice);
      alice.socket.send({ type: 'call_offer', recipient_id: bob.userId, sdp: 'v=0 offer' });
      expect(await bob.socket.next((f) => f.type === 'call_offer')).toEqual({ type: 'call_offer', sender_id: alice.userId, sdp: 'v=0 offer' });

      // handleIncomingOffer(sender_id, sdp): TURN credentials, then the answer.
      const bobTurn = await fetchTurn(bob);
      bob.socket.send({ type: 'call_answer', recipient_id: alice.userId, sdp: 'v=0 answer' });
      expect(await alice.socket.next((f) => f.type === 'call_answer')).toEqual({ type: 'call_answer', sender_id: bob.userId, sdp: 'v=0 answer' });

      // ICE candidates both ways, as RTCIceCandidate.toJSON(); handleIceCandidate reads `candidate`.
      const candidate = (port: number) => ({
        candidate: `candidate:1 1 udp 2122260223 127.0.0.1 ${port} typ host`,
        sdpMid: '0',
        sdpMLineIndex: 0,
        usernameFragment: 'abcd',
      });
      alice.socket.send({ type: 'ice_candidate', recipient_id: bob.userId, candidate: candidate(50000) });
      bob.socket.send({ type: 'ice_candidate', recipient_id: alice.userId, candidate: candidate(50001) });
      expect(await bob.socket.next((f) => f.type === 'ice_candidate')).toEqual({ type: 'ice_candidate', sender_id: alice.userId, candidate: candidate(50000) });
      expect(await alice.socket.next((f) => f.type === 'ice_candidate')).toEqual({ type: 'ice_candidate', sender_id: bob.userId, candidate: candidate(50001) });

      // Both phones' TURN credentials relay on the real coturn; one phone's credential does not cover the other's username.
      const [aliceRelay, bobRelay] = await Promise.all([
        turn.allocate(aliceTurn.username, aliceTurn.credential),
        turn.allocate(bobTurn.username, bobTurn.credential),
      ]);
      expectRelayed(aliceRelay);
      expectRelayed(bobRelay);
      expectRefused(await turn.allocate(bobTurn.username, aliceTurn.credential));

      // endCall: Bob reads call_end with sender_id.
      alice.socket.send({ type: 'call_end', recipient_id: bob.userId });
      expect(await bob.socket.next((f) => f.type === 'call_end')).toEqual({ type: 'call_end', sender_id: alice.userId });

      alice.socket.ws.close();
      bob.socket.ws.close();
    });
  },
);
