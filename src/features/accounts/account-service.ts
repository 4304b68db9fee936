import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import type { Ed25519Verifier } from '../../core/ed25519.js';
import { ApiError, notFound, unauthorized } from '../../core/errors.js';
import type { Hs256Tokens } from '../../core/hs256-jwt.js';
import type { SecurityMode } from '../auth/index.js';
import type { AccountStore, Registration } from './account-store.js';
import type { PrekeyBundle } from 'whispr-sdk/wire';

export interface AccountLimits {
  maxUnusedPrekeys: number;
  challengeTtlSeconds: number;
  /** How long a client-chosen nonce (compat mode) is remembered, so it is not accepted twice. */
  nonceMemorySeconds: number;
}

const ED25519_KEY_BYTES = 32;
const isPrekeyLength = (key: Buffer) => key.length === 32 || (key.length === 33 && key[0] === 0x05);
const unprocessable = (code: string, detail: string) => new ApiError(422, code, detail);
const loginRefused = () => unauthorized('INVALID_SIGNATURE', 'Invalid signature');

/** A real Ed25519 public key no account holds (the last 32 bytes of its SPKI form). */
function decoyPublicKey(): Buffer {
  return generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-ED25519_KEY_BYTES);
}

/**
 * Private-comm accounts: registration with verified signed prekeys, prekey bundles whose one-time
 * prekey is claimed once, and an Ed25519 login that yields a 30-minute account token.
 */
export class AccountService {
  /** Checked instead of an identity key when the phone hash is unknown: the same work, the same answer. */
  private readonly decoyKey = decoyPublicKey();

  constructor(
    private readonly deps: {
      store: AccountStore;
      tokens: Hs256Tokens;
      verifier: Ed25519Verifier;
      mode: SecurityMode;
      limits: AccountLimits;
      now: () => number;
    },
  ) {}

  /**
   * `callerId`: the account token's user, if the request had one. In strict mode only that account may
   * replace the keys of an existing phone hash (otherwise anyone knowing the hash could take it over);
   * compat mode keeps the original's unconditional upsert.
   */
  async register(registration: Registration, callerId: string | undefined): Promise<{ status: 'registered'; user_id: string }> {
    const { identityKey, signedPrekey, prekeySignature } = registration;
    if (identityKey.length !== ED25519_KEY_BYTES) throw unprocessable('INVALID_IDENTITY_KEY', 'identity_key must be a 32-byte Ed25519 public key');
    if ([signedPrekey, ...registration.oneTimePrekeys.map((p) => p.publicKey)].some((key) => !isPrekeyLength(key))) {
      throw unprocessable('INVALID_PREKEY', 'prekeys must be 32-byte X25519 public keys (33 bytes with the 0x05 type prefix)');
    }
    // As Signal does: a signed prekey its identity key did not sign would let a server swap it.
    if (!this.deps.verifier.verify(identityKey, signedPrekey, prekeySignature)) {
      throw unprocessable('INVALID_PREKEY_SIGNATURE', 'prekey_signature is not a valid Ed25519 signature of signed_prekey by identity_key');
    }
    const ids = new Set(registration.oneTimePrekeys.map((p) => p.keyId));
    if (ids.size !== registration.oneTimePrekeys.length) throw unprocessable('DUPLICATE_PREKEY_ID', 'one_time_prekeys has a key_id twice');
    const { maxUnusedPrekeys } = this.deps.limits;
    const owner = this.deps.mode === 'compat' ? ({ anyone: true } as const) : ({ anyone: false, userId: callerId } as const);
    const result = await this.deps.store.register(registration, randomUUID(), owner, maxUnusedPrekeys, this.deps.now());
    if (result.status === 'taken') {
      throw new ApiError(
        409,
        'ACCOUNT_EXISTS',
        "This phone_hash is registered: re-registering needs that account's token (Authorization: Bearer, from /api/v1/auth/token)",
      );
    }
    if (result.status === 'too_many_prekeys') {
      throw unprocessable(
        'TOO_MANY_PREKEYS',
        `An account holds at most ${maxUnusedPrekeys} unused one-time prekeys (this upload would leave ${result.unused})`,
      );
    }
    return { status: 'registered', user_id: result.userId };
  }

  /** The bundle for a phone hash, with one one-time prekey that no other fetch will get. */
  async bundle(phoneHash: string): Promise<PrekeyBundle> {
    const claimed = await this.deps.store.claimBundle(phoneHash, this.deps.now());
    if (claimed === undefined) throw notFound('USER_NOT_FOUND', 'User not found');
    const otpk = claimed.oneTimePrekey;
    return {
      user_id: claimed.id,
      identity_key: claimed.identityKey.toString('base64'),
      signed_prekey: claimed.signedPrekey.toString('base64'),
      prekey_signature: claimed.prekeySignature.toString('base64'),
      one_time_prekey: otpk === null ? null : { key_id: otpk.keyId, public_key: otpk.publicKey.toString('base64') },
    };
  }

  async prekeyCount(userId: string): Promise<{ user_id: string; one_time_prekeys_remaining: number }> {
    return { user_id: userId, one_time_prekeys_remaining: await this.deps.store.unusedPrekeys(userId) };
  }

  /** A nonce to sign for /auth/token: required in strict mode, where client-chosen nonces are refused. */
  async challenge(phoneHash: string): Promise<{ nonce: string; expires_in: number }> {
    const nonce = randomBytes(32).toString('hex');
    const ttl = this.deps.limits.challengeTtlSeconds;
    await this.deps.store.issueNonce(phoneHash, nonce, this.deps.now() + ttl);
    return { nonce, expires_in: ttl };
  }

  /** Exchanges a signature over the UTF-8 bytes of the nonce for an account token. */
  async token(phoneHash: string, nonce: string, signature: Buffer): Promise<{ token: string; expires_in: number; user_id: string }> {
    const { store, verifier, tokens, mode, limits, now } = this.deps;
    const account = await store.findByPhoneHash(phoneHash);
    // An unknown phone hash and a wrong signature get one answer after one verification: the login tells no one who is registered.
    const verified = verifier.verify(account?.identityKey ?? this.decoyKey, Buffer.from(nonce, 'utf8'), signature);
    if (account === undefined || !verified) throw loginRefused();
    const at = now();
    const fresh =
      (await store.redeemIssuedNonce(phoneHash, nonce, at)) ||
      (mode === 'compat' && (await store.useNonce(phoneHash, nonce, at + limits.nonceMemorySeconds, at)));
    if (!fresh) {
      const hint = mode === 'strict' ? ' (strict mode: get one from POST /api/v1/auth/challenge)' : '';
      throw unauthorized('NONCE_REJECTED', `The nonce is unknown, expired or already used${hint}`);
    }
    await store.touch(account.id, at);
    return { token: await tokens.sign(account.id), expires_in: tokens.ttlSeconds, user_id: account.id };
  }

  /** The account id of a valid account token, or undefined. */
  async userIdOf(token: string): Promise<string | undefined> {
    return (await this.deps.tokens.verify(token))?.sub;
  }

  /** The account id of a valid token whose account is registered (the socket and TURN credentials serve only those), or undefined. */
  async registeredAccountOf(token: string): Promise<string | undefined> {
    const userId = await this.userIdOf(token);
    return userId !== undefined && (await this.exists(userId)) ? userId : undefined;
  }

  async exists(userId: string): Promise<boolean> {
    return (await this.deps.store.findById(userId)) !== undefined;
  }
}
