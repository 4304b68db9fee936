import { SignJWT, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';

const ISSUER = 'whispr';

/**
 * Whispr's own short-lived HS256 tokens. Each kind has its own audience, so a token issued for one
 * purpose (a proven key, a private-comm account) is never accepted for another.
 */
export class Hs256Tokens {
  constructor(
    private readonly secret: Uint8Array,
    private readonly audience: string,
    readonly ttlSeconds: number,
  ) {}

  sign(subject: string, claims: Record<string, unknown> = {}): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(subject)
      .setIssuer(ISSUER)
      .setAudience(this.audience)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(this.secret);
  }

  /** The payload of a valid token (with a subject and an expiry), or null for a malformed, forged or expired one. */
  async verify(token: string): Promise<(JWTPayload & { sub: string; exp: number }) | null> {
    try {
      const { payload } = await jwtVerify(token, this.secret, { issuer: ISSUER, audience: this.audience, algorithms: ['HS256'] });
      if (typeof payload.sub !== 'string' || payload.exp === undefined) return null;
      return payload as JWTPayload & { sub: string; exp: number };
    } catch (err) {
      if (err instanceof joseErrors.JOSEError || err instanceof TypeError) return null;
      throw err;
    }
  }
}
