import { badRequest, forbidden, unauthorized } from '../../core/errors.js';
import type { TokenService } from './token-service.js';

export type SecurityMode = 'strict' | 'compat';

/**
 * Decides whether a caller may act for a key. In strict mode it needs a valid token whose subject
 * is that key; in compat mode the asserted key is trusted, as the original server did.
 */
export class KeyAuthorizer {
  constructor(
    readonly mode: SecurityMode,
    private readonly tokens: TokenService,
  ) {}

  /**
   * The key a request acts for. Strict: the token's subject (an id the request also names must be
   * the same). Compat: the id the request names, which must then be present.
   */
  async actor(token: string | undefined, asserted: string | undefined, field: string): Promise<string> {
    if (this.mode === 'compat') {
      if (asserted === undefined) throw badRequest('VALIDATION_FAILED', `${field} is required`);
      return asserted.toLowerCase();
    }
    const key = await this.tokenSubject(token);
    if (asserted !== undefined && key !== asserted.toLowerCase()) throw forbidden('KEY_MISMATCH', `${field} is not the key the bearer token was issued for`);
    return key;
  }

  /**
   * For the few original calls that name no actor (e.g. the desktop client's GET
   * /groups/members/keys): compat mode answers them as the original server did, for anyone, so
   * the result is undefined when nobody is named; strict mode still needs the token.
   */
  async actorIfNamed(token: string | undefined, asserted: string | undefined, field: string): Promise<string | undefined> {
    if (this.mode === 'compat' && asserted === undefined) return undefined;
    return this.actor(token, asserted, field);
  }

  /** The key of a valid bearer token, in either mode (for routes that never existed unauthenticated). */
  async tokenSubject(token: string | undefined): Promise<string> {
    if (token === undefined) throw unauthorized('TOKEN_REQUIRED', 'A bearer token is required (POST /auth/challenge, then /auth/token)');
    const claims = await this.tokens.verify(token);
    if (claims === null) throw unauthorized('TOKEN_INVALID', 'The bearer token is invalid or expired');
    return claims.key;
  }

  /** Passes if the caller may act for `key`: always in compat mode, with a token for it in strict mode. */
  async authorize(token: string | undefined, key: string): Promise<void> {
    if (this.mode === 'strict') await this.actor(token, key, 'the requested key');
  }
}
