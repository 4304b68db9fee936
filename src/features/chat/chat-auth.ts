import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import { ConfigError } from '../../config/load-config.js';
import type { Config } from '../../config/settings.js';
import { unauthorized, unavailable } from '../../core/errors.js';
import { bearerToken } from '../../http/bearer-token.js';
import { OidcVerifier } from './oidc-verifier.js';

/** Who a valid ID token says its holder is. */
export interface SignedInUser {
  userId: string;
  email: string | undefined;
  name: string | undefined;
}

/** Longest user id: Fastify's default path-parameter limit, so every user can be named in a URL. */
export const MAX_USER_ID_LENGTH = 100;
// As the original: user_id = "user_" + the token's subject.
const USER_ID_PREFIX = 'user_';
// A dev token names its user itself; URL-safe characters and a length that fits a user id.
const DEV_TOKEN = /^dev_[A-Za-z0-9._-]{1,91}$/;

const notConfigured = () =>
  unavailable(
    'CHAT_NOT_CONFIGURED',
    'Chat sign-in is not configured on this server: the operator must set oidc_audience (GOOGLE_CLIENT_ID) to the OAuth client id',
    60,
  );

/**
 * Chat-app authentication: every call carries an OIDC ID token (Google's by default) and nothing
 * else; there is no session. With oidc_dev_tokens, `dev_<name>` tokens are taken on trust, like
 * the original's DEBUG mode.
 */
export class ChatAuth {
  constructor(private readonly options: { verifier: OidcVerifier | undefined; devTokens: boolean }) {}

  /** The user id of `Authorization: Bearer <ID token>`; 401 without a valid one, 503 when sign-in cannot work. */
  async caller(headers: IncomingHttpHeaders): Promise<string> {
    // An unconfigured server says so before it complains about the caller.
    if (this.options.verifier === undefined && !this.options.devTokens) throw notConfigured();
    const token = bearerToken(headers);
    if (token === undefined) throw unauthorized('TOKEN_REQUIRED', 'Missing or invalid authorization header');
    return this.userIdOfToken(token);
  }

  /** The user id of an ID token; 401 TOKEN_INVALID if it is not valid. */
  async userIdOfToken(token: string): Promise<string> {
    const user = await this.identify(token);
    if (user === undefined) throw unauthorized('TOKEN_INVALID', 'Invalid token');
    return user.userId;
  }

  /** Who a token is for, or undefined if it is not valid; 503 when it cannot be checked. */
  async identify(token: string): Promise<SignedInUser | undefined> {
    const { verifier, devTokens } = this.options;
    if (devTokens && token.startsWith('dev_')) {
      return DEV_TOKEN.test(token) ? { userId: USER_ID_PREFIX + token, email: `${token}@example.com`, name: token } : undefined;
    }
    if (verifier === undefined) throw notConfigured();
    const claims = await verifier.verify(token);
    // A subject too long for a user id is refused rather than cut (two users must never share an id).
    if (claims === undefined || claims.subject === '' || USER_ID_PREFIX.length + claims.subject.length > MAX_USER_ID_LENGTH) return undefined;
    return { userId: USER_ID_PREFIX + claims.subject, email: claims.email, name: claims.name };
  }
}

type OidcConfig = Pick<Config, 'oidc_issuers' | 'oidc_jwks_url' | 'oidc_audience' | 'oidc_dev_tokens'>;

/** The chat-app authentication the configuration asks for; refuses a configuration that could never verify a token. */
export function createChatAuth(config: OidcConfig, log: Logger): ChatAuth {
  const devTokens = config.oidc_dev_tokens;
  if (devTokens) log.warn('oidc_dev_tokens: the chat-app API accepts unverified dev_ tokens as users; never enable this in production');
  if (config.oidc_audience.length === 0) return new ChatAuth({ verifier: undefined, devTokens });
  if (config.oidc_issuers.length === 0) throw new ConfigError('setting "oidc_issuers" (OIDC_ISSUERS) must name at least one issuer when oidc_audience is set');
  const verifier = new OidcVerifier({ jwksUrl: jwksUrlOf(config.oidc_jwks_url), issuers: config.oidc_issuers, audiences: config.oidc_audience });
  return new ChatAuth({ verifier, devTokens });
}

function jwksUrlOf(value: string): URL {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new ConfigError(`setting "oidc_jwks_url" (OIDC_JWKS_URL) must be an http(s) URL, got ${JSON.stringify(value)}`);
  }
  return url;
}
