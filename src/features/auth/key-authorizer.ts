import type { IncomingHttpHeaders } from 'node:http';
import { forbidden, unauthorized } from '../../core/errors.js';
import type { TokenService } from './token-service.js';

export type SecurityMode = 'strict' | 'compat';

/** The bearer token of a request: the Authorization header, else a `token` query parameter (WebSockets). */
export function bearerToken(headers: IncomingHttpHeaders, query?: URLSearchParams): string | undefined {
  const header = headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    return match?.[1];
  }
  return query?.get('token') ?? undefined;
}

/**
 * Decides whether a caller may act for a key. In strict mode it needs a valid token whose subject
 * is that key; in compat mode the asserted key is trusted, as the original server did.
 */
export class KeyAuthorizer {
  constructor(
    readonly mode: SecurityMode,
    private readonly tokens: TokenService,
  ) {}

  async authorize(token: string | undefined, key: string): Promise<void> {
    if (this.mode === 'compat') return;
    if (token === undefined) throw unauthorized('TOKEN_REQUIRED', 'A bearer token for this key is required (POST /auth/challenge, then /auth/token)');
    const claims = await this.tokens.verify(token);
    if (claims === null) throw unauthorized('TOKEN_INVALID', 'The bearer token is invalid or expired');
    if (claims.key !== key.toLowerCase()) throw forbidden('KEY_MISMATCH', 'The bearer token was issued for another key');
  }
}
