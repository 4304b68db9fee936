import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { decodeBase64, decodeHexKey } from '../../core/encoding.js';
import type { Ed25519Verifier } from '../../core/ed25519.js';
import { badRequest, tooMany, unauthorized, unavailable } from '../../core/errors.js';
import { requireSodium } from '../../core/sodium.js';
import type { ChallengeStore, KeyType } from './challenge-store.js';
import type { TokenService } from './token-service.js';

const NONCE_BYTES = 32;

export interface IssuedChallenge {
  challenge_id: string;
  key_type: KeyType;
  /** Ed25519: the nonce to sign. */
  nonce?: string;
  /** X25519: the nonce sealed to the key (crypto_box_seal); return it opened. */
  sealed_nonce?: string;
  expires_at: number;
}

export interface ChallengeAnswer {
  challenge_id: string;
  /** Ed25519 signature over the nonce bytes. */
  signature?: string;
  /** X25519: the opened nonce. */
  nonce?: string;
}

/** Proof of key possession: a fresh nonce per challenge, accepted once, exchanged for an access token. */
export class AuthService {
  constructor(
    private readonly deps: {
      challenges: ChallengeStore;
      tokens: TokenService;
      verifier: Ed25519Verifier;
      challengeTtlSeconds: number;
      now: () => number;
    },
  ) {}

  /** `address`: the budget key of the asking client's address (see addressKey), for its share of the pending challenges. */
  async challenge(keyHex: string, keyType: KeyType, address: string): Promise<IssuedChallenge> {
    const key = decodeHexKey(keyHex, 'key');
    const nonce = randomBytes(NONCE_BYTES);
    const expiresAt = this.deps.now() + this.deps.challengeTtlSeconds;
    const id = randomUUID();
    // Seal before storing: a low-order X25519 key (e.g. all zeros) cannot be sealed to; that is the caller's error.
    const sealed = keyType === 'x25519' ? sealNonce(nonce, key) : undefined;
    const outcome = await this.deps.challenges.put({ id, key: key.toString('hex'), keyType, nonce, expiresAt, address });
    if (outcome === 'address-full') {
      throw tooMany('CHALLENGES_PENDING', 'This address has too many unanswered challenges; answer them or let them expire', this.deps.challengeTtlSeconds);
    }
    if (outcome === 'full') throw unavailable('TOO_MANY_CHALLENGES', 'Too many pending challenges; retry shortly', 5);
    if (sealed === undefined) return { challenge_id: id, key_type: keyType, nonce: nonce.toString('base64'), expires_at: expiresAt };
    return { challenge_id: id, key_type: keyType, sealed_nonce: sealed.toString('base64'), expires_at: expiresAt };
  }

  async token(answer: ChallengeAnswer): Promise<{ access_token: string; token_type: 'bearer'; expires_in: number; key: string; key_type: KeyType }> {
    const challenge = await this.deps.challenges.take(answer.challenge_id, this.deps.now());
    if (challenge === undefined) throw unauthorized('CHALLENGE_INVALID', 'Unknown, expired or already used challenge');
    let proven: boolean;
    if (challenge.keyType === 'ed25519') {
      if (answer.signature === undefined) throw badRequest('PROOF_MISSING', 'signature is required for an ed25519 challenge');
      proven = this.deps.verifier.verify(Buffer.from(challenge.key, 'hex'), challenge.nonce, decodeBase64(answer.signature, 'signature'));
    } else {
      if (answer.nonce === undefined) throw badRequest('PROOF_MISSING', 'nonce is required for an x25519 challenge');
      const opened = decodeBase64(answer.nonce, 'nonce');
      proven = opened.length === challenge.nonce.length && timingSafeEqual(opened, challenge.nonce);
    }
    if (!proven) throw unauthorized('PROOF_INVALID', 'The challenge answer does not prove the key');
    const { token, expiresIn } = await this.deps.tokens.issue(challenge.key, challenge.keyType);
    return { access_token: token, token_type: 'bearer', expires_in: expiresIn, key: challenge.key, key_type: challenge.keyType };
  }
}

function sealNonce(nonce: Buffer, key: Buffer): Buffer {
  const sodium = requireSodium('X25519 challenges');
  const sealed = Buffer.alloc(NONCE_BYTES + sodium.crypto_box_SEALBYTES);
  try {
    sodium.crypto_box_seal(sealed, nonce, key);
  } catch {
    throw badRequest('INVALID_KEY', 'key is not a usable X25519 public key');
  }
  return sealed;
}
