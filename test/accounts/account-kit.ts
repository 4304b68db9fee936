/** Shared helpers of the private-comm account tests: keys, registration bodies, raw calls and account sockets. */
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { expect } from 'vitest';
import WebSocket from 'ws';
import type { Config } from '../../src/config/settings.js';
import { AccountClient, generateIdentity, sign, type KeyPair, toHex, x25519KeyPair } from 'whispr-sdk';
import { call, type ApiResponse } from '../auth/api.js';
import { collectFrames, wsUrl } from '../relay/helpers.js';
import { eventually, type RunningServer } from '../support/test-server.js';

export { call, expectError, type ApiResponse } from '../auth/api.js';

/** Limits lifted for the tests that are not about them. */
export const LIFTED: Partial<Config> = {
  account_register_per_hour: 1_000_000,
  account_auth_per_minute: 1_000_000,
  account_keys_per_minute: 1_000_000,
  websocket_frames_per_second: 1_000_000,
};

export const phoneHash = (): string => randomBytes(32).toString('hex');
export const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

/** A fresh Ed25519 identity key pair. */
export const identityKey = (): KeyPair => generateIdentity().signing;

/** A fresh X25519 key pair (prekeys). */
export const x25519 = (): KeyPair => x25519KeyPair();

export interface RegistrationParts {
  phoneHash: string;
  identity: KeyPair;
  signedPrekey: Uint8Array;
  body: Record<string, unknown> & { one_time_prekeys: Array<Record<string, unknown>> };
}

/** A valid registration body (signed prekey signed by the identity key) with prekeys for `keyIds`. */
export function registration(keyIds: readonly number[] = [1, 2, 3], options: { phoneHash?: string; identity?: KeyPair } = {}): RegistrationParts {
  const identity = options.identity ?? identityKey();
  const hash = options.phoneHash ?? phoneHash();
  const signedPrekey = x25519().publicKey;
  return {
    phoneHash: hash,
    identity,
    signedPrekey,
    body: {
      phone_hash: hash,
      identity_key: b64(identity.publicKey),
      signed_prekey: b64(signedPrekey),
      prekey_signature: b64(sign(identity, signedPrekey)),
      one_time_prekeys: keyIds.map((key_id) => ({ key_id, public_key: b64(x25519().publicKey) })),
    },
  };
}

/** `token`: the account's own token, which strict mode requires to re-register an existing phone_hash. */
export const register = (srv: RunningServer, body: unknown, token?: string): Promise<ApiResponse> =>
  call(srv.url, 'POST', '/api/v1/register', token === undefined ? { json: body } : { json: body, token });

/** Strict-mode login of an existing registration: challenge, signature, token. */
export async function loginToken(srv: RunningServer, parts: RegistrationParts): Promise<string> {
  const challenge = await call(srv.url, 'POST', '/api/v1/auth/challenge', { json: { phone_hash: parts.phoneHash } });
  const issued = await call(srv.url, 'POST', '/api/v1/auth/token', {
    json: { phone_hash: parts.phoneHash, nonce: challenge.body.nonce, signature: signNonce(parts.identity, challenge.body.nonce as string) },
  });
  expect(issued.status, JSON.stringify(issued.body)).toBe(200);
  return issued.body.token as string;
}
export const registerRaw = (srv: RunningServer, text: string): Promise<ApiResponse> => call(srv.url, 'POST', '/api/v1/register', { raw: text });
export const fetchBundle = (srv: RunningServer, hash: string, token?: string): Promise<ApiResponse> =>
  call(srv.url, 'GET', `/api/v1/keys/${hash}`, token === undefined ? {} : { token });

/** Signs the UTF-8 text of a nonce, as the original client does: 128 hex characters. */
export const signNonce = (identity: KeyPair, nonce: string): string => toHex(sign(identity, Buffer.from(nonce, 'utf8')));

/** A registered SDK account (strict-mode login through the challenge). */
export async function account(srv: RunningServer, prekeys = 3, ownNonce = false): Promise<AccountClient & { userId: string }> {
  const client = new AccountClient(srv.url, phoneHash(), identityKey(), ownNonce);
  await client.register(prekeys);
  expect(client.userId).toMatch(/^[0-9a-f-]{36}$/);
  return client as AccountClient & { userId: string };
}

export interface AccountSocket {
  ws: WebSocket;
  frames: Array<Record<string, unknown>>;
  /** Settles with the close code and reason (listening from before the upgrade, so no close is missed). */
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves with the first frame received so far or later that matches `predicate`. */
  next(predicate: (frame: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  send(frame: unknown): void;
}

/** A raw account socket on /ws?token=; `localAddress` connects from another 127.x.y.z. */
export async function accountSocket(srv: RunningServer | string, token: string, options: { localAddress?: string } = {}): Promise<AccountSocket> {
  const base = typeof srv === 'string' ? srv : srv.url;
  // The collector is attached before the socket opens: frames flushed right after the upgrade can be
  // parsed before a continuation of the 'open' promise would run (and would be missed).
  const ws = new WebSocket(wsUrl(base, `/ws?token=${encodeURIComponent(token)}`), options);
  const frames = collectFrames(ws);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused with HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
  return {
    ws,
    frames,
    closed,
    async next(predicate, timeoutMs = 3_000) {
      let found: Record<string, unknown> | undefined;
      await eventually(() => {
        found = frames.find(predicate);
        return found !== undefined;
      }, timeoutMs).catch(() => {
        throw new Error(`no matching frame; got ${JSON.stringify(frames)}`);
      });
      return found as Record<string, unknown>;
    },
    send: (frame) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
  };
}

/** Opens the server's SQLite file beside it (WAL: both connections see each other's commits). */
export function openDb(dataDir: string): Database.Database {
  const db = new Database(join(dataDir, 'whispr.sqlite'));
  db.pragma('busy_timeout = 5000');
  return db;
}

/** Decodes a JWT's header and payload (no verification). */
export function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [header, payload] = token.split('.');
  const part = (s: string | undefined) => JSON.parse(Buffer.from(s ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  return { header: part(header), payload: part(payload) };
}

/** The socket of a registered SDK account. */
export async function connectAs(srv: RunningServer, client: AccountClient): Promise<AccountSocket> {
  return accountSocket(srv, await client.accessToken());
}

/** Sends one frame and resolves with the next frame the server answers (frames are answered in order). */
export async function ask(socket: AccountSocket, frame: unknown, options: { binary?: boolean } = {}): Promise<Record<string, unknown>> {
  const seen = socket.frames.length;
  if (options.binary === true) socket.ws.send(Buffer.from(typeof frame === 'string' ? frame : JSON.stringify(frame)), { binary: true });
  else socket.send(frame);
  await eventually(() => socket.frames.length > seen, 3_000).catch(() => {
    throw new Error(`no answer to ${JSON.stringify(frame)}`);
  });
  return socket.frames[seen] as Record<string, unknown>;
}

/** A ping answered: the socket is open and usable. */
export async function roundTrip(socket: AccountSocket): Promise<void> {
  const pongs = () => socket.frames.filter((f) => f.type === 'pong').length;
  const before = pongs();
  socket.send({ type: 'ping' });
  await eventually(() => pongs() > before, 3_000);
}
