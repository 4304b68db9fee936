import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { unavailable } from '../../core/errors.js';

export interface OidcProviderSettings {
  /** The provider's signing keys (its JWKS document). */
  jwksUrl: URL;
  /** Accepted `iss` values. */
  issuers: string[];
  /** Accepted `aud` values: the client ids of your apps at the provider. */
  audiences: string[];
}

/** The claims of a verified ID token that the chat feature uses. */
export interface VerifiedIdToken {
  subject: string;
  email: string | undefined;
  name: string | undefined;
}

// The asymmetric algorithms providers sign ID tokens with (Google: RS256). HMAC and "none" are refused.
const ALGORITHMS = ['RS256', 'ES256'];
// The provider's clock and ours may differ a little; without leeway a fresh token could be "not yet valid".
const CLOCK_TOLERANCE_SECONDS = 30;
const RETRY_AFTER_SECONDS = 5;

/** The key lookup failed because the key set could not be fetched: the token itself may be fine. */
class KeySetUnavailable extends Error {}

/**
 * Verifies OIDC ID tokens: signature against the provider's JWKS (fetched on first use, cached and
 * refetched by jose when a token names an unknown key), issuer, audience and expiry.
 */
export class OidcVerifier {
  private readonly keys: JWTVerifyGetKey;

  constructor(private readonly provider: OidcProviderSettings) {
    const remote = createRemoteJWKSet(provider.jwksUrl);
    this.keys = async (header, token) => {
      try {
        return await remote(header, token);
      } catch (err) {
        // No (single) key for this token is the token's fault; anything else is the fetch's.
        if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) throw err;
        throw new KeySetUnavailable('the JWKS could not be fetched', { cause: err });
      }
    };
  }

  /** The token's claims when it is valid, undefined when it is not; 503 when the provider's keys cannot be fetched. */
  async verify(token: string): Promise<VerifiedIdToken | undefined> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: this.provider.issuers,
        audience: this.provider.audiences,
        algorithms: ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (err) {
      if (err instanceof KeySetUnavailable)
        throw unavailable('OIDC_UNAVAILABLE', "The sign-in provider's keys (oidc_jwks_url) cannot be fetched; retry later", RETRY_AFTER_SECONDS);
      // Whatever else went wrong (format, algorithm, signature, claims), the token is not valid.
      return undefined;
    }
    if (typeof payload.sub !== 'string') return undefined; // jose checks that sub is present, not its type
    return {
      subject: payload.sub,
      // An address the provider says it has not verified could be anyone's: it is not shown to others.
      email: typeof payload.email === 'string' && payload.email_verified !== false ? payload.email : undefined,
      name: typeof payload.name === 'string' ? payload.name : undefined,
    };
  }
}
