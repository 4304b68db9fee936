/** Tokens as the server would sign them, with claims of the test's choosing, and tampered copies of real ones. */
import { SignJWT } from 'jose';

export interface ForgedClaims {
  sub?: string;
  /** 'whispr-account' (private-comm account token) or 'whispr-api' (Whispr key token, with `kt`). */
  aud: string;
  iat?: number;
  exp?: number;
  /** Further claims, e.g. a key token's `kt`. */
  extra?: Record<string, unknown>;
}

/** An HS256 token signed with `secret` (the server's jwt_secret when the test set one). */
export function forgeToken(secret: string, claims: ForgedClaims): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT(claims.extra ?? {}).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuer('whispr').setAudience(claims.aud);
  if (claims.sub !== undefined) jwt.setSubject(claims.sub);
  return jwt
    .setIssuedAt(claims.iat ?? now)
    .setExpirationTime(claims.exp ?? now + 1800)
    .sign(new TextEncoder().encode(secret));
}

/** `token` with its payload's subject replaced and its signature kept: what someone naming another identity would send. */
export function withSubject(token: string, sub: string): string {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  return `${header}.${Buffer.from(JSON.stringify({ ...claims, sub })).toString('base64url')}.${signature}`;
}
