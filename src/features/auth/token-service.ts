import { Hs256Tokens } from '../../core/hs256-jwt.js';
import type { KeyType } from './challenge-store.js';

export interface AccessClaims {
  /** The proven key, lowercase hex. */
  key: string;
  keyType: KeyType;
  expiresAt: number;
}

/** Short-lived access tokens whose subject is a proven public key. */
export class TokenService {
  private readonly tokens: Hs256Tokens;

  constructor(secret: Uint8Array, ttlSeconds: number) {
    this.tokens = new Hs256Tokens(secret, 'whispr-api', ttlSeconds);
  }

  async issue(key: string, keyType: KeyType): Promise<{ token: string; expiresIn: number }> {
    return { token: await this.tokens.sign(key, { kt: keyType }), expiresIn: this.tokens.ttlSeconds };
  }

  /** The claims of a valid token, or null for a malformed, forged or expired one. */
  async verify(token: string): Promise<AccessClaims | null> {
    const payload = await this.tokens.verify(token);
    const keyType = payload?.kt;
    if (payload === null || (keyType !== 'ed25519' && keyType !== 'x25519')) return null;
    return { key: payload.sub, keyType, expiresAt: payload.exp };
  }
}
