import type { FastifyPluginAsync, FastifyRequest, onRequestHookHandler } from 'fastify';
import { Type } from 'typebox';
import { BASE64_PATTERN } from '../../core/encoding.js';
import { unauthorized } from '../../core/errors.js';
import { FASTAPI_ROUTE } from '../../http/error-handler.js';
import { bearerToken } from '../../http/bearer-token.js';
import type { SecurityMode } from '../auth/index.js';
import type { AccountService } from './account-service.js';

export interface AccountsHttpOptions {
  accounts: AccountService;
  mode: SecurityMode;
  limits: { register: onRequestHookHandler; auth: onRequestHookHandler; keys: onRequestHookHandler };
}

const PHONE_HASH = Type.String({ pattern: '^[0-9a-fA-F]{64}$', description: 'SHA-256 of the phone number (and salt), hex' });
const B64 = (maxLength: number, description: string) => Type.String({ pattern: BASE64_PATTERN, minLength: 4, maxLength, description });
/** Public keys: 32 bytes, or 33 with Signal's 0x05 type prefix. */
const PUBLIC_KEY = (description: string) => B64(44, description);
// The original client numbers its prekeys from Date.now() (about 1.8e12), so 32 bits are not enough: any id a JS number holds exactly.
const KEY_ID = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
// The original client writes camelCase prekeys (keyId/publicKey); both spellings are accepted.
const ONE_TIME_PREKEY = Type.Union([
  Type.Object({ key_id: KEY_ID, public_key: PUBLIC_KEY('X25519 public key') }, { additionalProperties: false }),
  Type.Object({ keyId: KEY_ID, publicKey: PUBLIC_KEY('X25519 public key') }, { additionalProperties: false }),
]);
type PrekeyInput = { key_id: number; public_key: string } | { keyId: number; publicKey: string };

const BUNDLE = Type.Object({
  user_id: Type.String(),
  identity_key: Type.String(),
  signed_prekey: Type.String(),
  prekey_signature: Type.String(),
  one_time_prekey: Type.Union([Type.Object({ key_id: Type.Integer(), public_key: Type.String() }), Type.Null()]),
});

const keyBytes = (b64: string) => Buffer.from(b64, 'base64');

/** The private-comm REST dialect under /api/v1 (registration, prekey bundles, login). */
export const accountsHttp: FastifyPluginAsync<AccountsHttpOptions> = async (app, { accounts, mode, limits }) => {
  const optionalAccountOf = async (request: FastifyRequest): Promise<string | undefined> => {
    const token = bearerToken(request.headers);
    return token === undefined ? undefined : accounts.userIdOf(token);
  };
  const accountOf = async (request: FastifyRequest): Promise<string> => {
    const userId = await optionalAccountOf(request);
    if (userId === undefined) throw unauthorized('TOKEN_INVALID', 'An account token is required (POST /api/v1/auth/token)');
    return userId;
  };

  app.post(
    '/api/v1/register',
    {
      ...FASTAPI_ROUTE,
      onRequest: limits.register,
      bodyLimit: 65_536,
      schema: {
        summary: 'Register or update an account and upload its prekeys (upsert by phone_hash)',
        tags: ['accounts'],
        body: Type.Object({
          phone_hash: PHONE_HASH,
          identity_key: B64(44, 'Ed25519 public key (32 bytes)'),
          signed_prekey: PUBLIC_KEY('X25519 public key, signed by the identity key'),
          prekey_signature: B64(88, 'Ed25519 signature (64 bytes) over the decoded signed_prekey'),
          one_time_prekeys: Type.Array(ONE_TIME_PREKEY, { minItems: 1, maxItems: 200 }),
        }),
        response: { 200: Type.Object({ status: Type.Literal('registered'), user_id: Type.String() }) },
      },
    },
    async (request) => {
      const body = request.body as {
        phone_hash: string;
        identity_key: string;
        signed_prekey: string;
        prekey_signature: string;
        one_time_prekeys: PrekeyInput[];
      };
      return accounts.register(
        {
          phoneHash: body.phone_hash.toLowerCase(),
          identityKey: keyBytes(body.identity_key),
          signedPrekey: keyBytes(body.signed_prekey),
          prekeySignature: keyBytes(body.prekey_signature),
          oneTimePrekeys: body.one_time_prekeys.map((p) =>
            'key_id' in p ? { keyId: p.key_id, publicKey: keyBytes(p.public_key) } : { keyId: p.keyId, publicKey: keyBytes(p.publicKey) },
          ),
        },
        await optionalAccountOf(request),
      );
    },
  );

  app.get(
    '/api/v1/keys/:phone_hash',
    {
      ...FASTAPI_ROUTE,
      onRequest: limits.keys,
      schema: {
        summary: "A user's prekey bundle; its one-time prekey is handed out once (null when none is left)",
        description: 'strict mode: needs an account token, so strangers cannot drain prekeys.',
        tags: ['accounts'],
        params: Type.Object({ phone_hash: PHONE_HASH }),
        response: { 200: BUNDLE },
      },
    },
    async (request) => {
      if (mode === 'strict') await accountOf(request);
      return accounts.bundle((request.params as { phone_hash: string }).phone_hash.toLowerCase());
    },
  );

  app.get(
    '/api/v1/keys',
    {
      ...FASTAPI_ROUTE,
      schema: {
        summary: 'How many unused one-time prekeys the calling account has left',
        tags: ['accounts'],
        response: { 200: Type.Object({ user_id: Type.String(), one_time_prekeys_remaining: Type.Integer() }) },
      },
    },
    async (request) => accounts.prekeyCount(await accountOf(request)),
  );

  app.post(
    '/api/v1/auth/challenge',
    {
      ...FASTAPI_ROUTE,
      onRequest: limits.auth,
      bodyLimit: 1024,
      schema: {
        summary: 'A server nonce to sign for /api/v1/auth/token (required in strict mode)',
        tags: ['accounts'],
        body: Type.Object({ phone_hash: PHONE_HASH }),
        response: { 200: Type.Object({ nonce: Type.String(), expires_in: Type.Integer() }) },
      },
    },
    async (request) => accounts.challenge((request.body as { phone_hash: string }).phone_hash.toLowerCase()),
  );

  app.post(
    '/api/v1/auth/token',
    {
      ...FASTAPI_ROUTE,
      onRequest: limits.auth,
      bodyLimit: 1024,
      schema: {
        summary: 'Exchange an Ed25519 signature over the nonce (its UTF-8 text) for a 30-minute account token',
        tags: ['accounts'],
        body: Type.Object({
          phone_hash: PHONE_HASH,
          nonce: Type.String({ minLength: 32, maxLength: 64 }),
          signature: Type.String({ pattern: '^[0-9a-fA-F]{128}$', description: 'Ed25519 signature, hex' }),
        }),
        response: { 200: Type.Object({ token: Type.String(), expires_in: Type.Integer(), user_id: Type.String() }) },
      },
    },
    async (request) => {
      const { phone_hash, nonce, signature } = request.body as { phone_hash: string; nonce: string; signature: string };
      return accounts.token(phone_hash.toLowerCase(), nonce, Buffer.from(signature, 'hex'));
    },
  );
};
