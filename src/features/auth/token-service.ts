import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import type { KeyType } from './challenge-store.js';

export interface AccessClaims {
  /** The proven key, lowercase hex. */
  key: string;
  keyType: KeyType;
  expiresAt: number;
}

const ISSUER = 'whispr';
const AUDIENCE = 'whispr-api';

/** Short-lived HS256 access tokens whose subject is a proven public key. */
export class TokenService {
  private readonly secret: Uint8Array;

  constructor(secret: Uint8Array, private readonly ttlSeconds: number) {
    this.secret = secret;
  }

  async issue(key: string, keyType: KeyType): Promise<{ token: string; expiresIn: number }> {
    const token = await new SignJWT({ kt: keyType })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(key)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(this.secret);
    return { token, expiresIn: this.ttlSeconds };
  }

  /** The claims of a valid token, or null for a malformed, forged or expired one. */
  async verify(token: string): Promise<AccessClaims | null> {
    try {
      const { payload } = await jwtVerify(token, this.secret, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] });
      const keyType = payload.kt;
      if (typeof payload.sub !== 'string' || (keyType !== 'ed25519' && keyType !== 'x25519') || payload.exp === undefined) return null;
      return { key: payload.sub, keyType, expiresAt: payload.exp };
    } catch (err) {
      if (err instanceof joseErrors.JOSEError || err instanceof TypeError) return null;
      throw err;
    }
  }
}
