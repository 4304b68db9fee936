import { sign } from './crypto.js';
import { toBase64, toHex } from './encoding.js';
import { requestJson } from './http.js';
import { type KeyPair, x25519KeyPair } from './keys.js';
import { PushSubscription } from './push-subscription.js';
import { sodium } from './sodium.js';
import type { PrekeyBundle } from './wire/accounts.js';

export type { PrekeyBundle };

/** The private secrets behind a registration; the server only ever sees the public halves. */
export interface PrekeySecrets {
  signedPrekey: KeyPair;
  oneTimePrekeys: Map<number, KeyPair>;
}

export interface AccountSocketOptions {
  onFrame: (frame: Record<string, unknown>) => void;
  onClose?: (code: number, reason: string) => void;
}

/**
 * A private-comm account: an Ed25519 identity key, a signed prekey and one-time prekeys for X3DH,
 * a 30-minute account token, and the `/ws?token=` socket.
 */
export class AccountClient {
  private token: { value: string; expiresAt: number } | undefined;
  userId: string | undefined;

  constructor(
    readonly baseUrl: string,
    readonly phoneHash: string,
    /** Ed25519 identity key pair. */
    readonly identity: KeyPair,
    /** compat mode only: sign a nonce of our own instead of asking the server for one (the original client's way). */
    private readonly ownNonce = false,
  ) {}

  /** Registers (or re-registers) with a new signed prekey and `count` one-time prekeys numbered from `firstKeyId`. */
  async register(count: number, firstKeyId = 1): Promise<PrekeySecrets> {
    const signedPrekey = x25519KeyPair();
    const oneTimePrekeys = new Map(Array.from({ length: count }, (_, i) => [firstKeyId + i, x25519KeyPair()] as const));
    // Re-registering an existing account (strict mode) needs its token.
    const result = await requestJson<{ user_id: string }>(this.baseUrl, 'POST', '/api/v1/register', {
      ...(this.userId === undefined ? {} : { token: await this.accessToken() }),
      body: {
        phone_hash: this.phoneHash,
        identity_key: toBase64(this.identity.publicKey),
        signed_prekey: toBase64(signedPrekey.publicKey),
        prekey_signature: toBase64(sign(this.identity, signedPrekey.publicKey)),
        one_time_prekeys: [...oneTimePrekeys].map(([key_id, pair]) => ({ key_id, public_key: toBase64(pair.publicKey) })),
      },
    });
    this.userId = result.user_id;
    return { signedPrekey, oneTimePrekeys };
  }

  /** A valid account token, logging in again when the current one is about to expire. */
  async accessToken(): Promise<string> {
    if (this.token !== undefined && this.token.expiresAt - Date.now() > 30_000) return this.token.value;
    const nonce = this.ownNonce
      ? toHex(sodium.randombytes_buf(32))
      : (await requestJson<{ nonce: string }>(this.baseUrl, 'POST', '/api/v1/auth/challenge', { body: { phone_hash: this.phoneHash } })).nonce;
    const signature = toHex(sign(this.identity, nonce));
    const issued = await requestJson<{ token: string; expires_in: number; user_id: string }>(this.baseUrl, 'POST', '/api/v1/auth/token', {
      body: { phone_hash: this.phoneHash, nonce, signature },
    });
    this.userId = issued.user_id;
    this.token = { value: issued.token, expiresAt: Date.now() + issued.expires_in * 1000 };
    return issued.token;
  }

  /** Someone's bundle; its one-time prekey is now spent. */
  async bundle(phoneHash: string): Promise<PrekeyBundle> {
    return requestJson<PrekeyBundle>(this.baseUrl, 'GET', `/api/v1/keys/${phoneHash}`, { token: await this.accessToken() });
  }

  async remainingPrekeys(): Promise<number> {
    const result = await requestJson<{ one_time_prekeys_remaining: number }>(this.baseUrl, 'GET', '/api/v1/keys', { token: await this.accessToken() });
    return result.one_time_prekeys_remaining;
  }

  /** The account socket, reconnecting with a fresh token; pending messages arrive first. */
  connect(options: AccountSocketOptions): PushSubscription {
    const wsBase = this.baseUrl.replace(/^http/, 'ws');
    return new PushSubscription({
      url: async () => `${wsBase}/ws?token=${encodeURIComponent(await this.accessToken())}`,
      onFrame: (frame) => options.onFrame(frame as Record<string, unknown>),
      ...(options.onClose === undefined ? {} : { onClose: options.onClose }),
    });
  }
}

/** The `encrypted_message` frame: `payload` is the opaque ciphertext, base64. */
export function encryptedMessage(recipientId: string, payload: Uint8Array): Record<string, unknown> {
  return { type: 'encrypted_message', recipient_id: recipientId, payload: toBase64(payload) };
}
