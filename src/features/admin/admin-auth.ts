import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ApiError, tooMany, unauthorized } from '../../core/errors.js';
import { Hs256Tokens } from '../../core/hs256-jwt.js';
import { hashPassword, isPasswordHash, parsePasswordHash, verifyPassword, type PasswordHash } from '../../core/password-hash.js';
import { checkAdminSecrets } from '../../config/load-config.js';
import type { Config } from '../../config/settings.js';
import type { BucketPolicy, RateLimiter } from '../../rate-limit/rate-limiter.js';
import { bearerToken } from '../../http/bearer-token.js';

export interface AdminToken {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
}

type AdminSettings = Pick<Config, 'admin_username' | 'admin_password' | 'analytics_jwt_secret' | 'admin_token_ttl_seconds' | 'admin_login_attempts_per_minute'>;

const disabled = () =>
  new ApiError(503, 'ADMIN_DISABLED', 'The admin API is disabled on this server: set ADMIN_PASSWORD and ANALYTICS_JWT_SECRET to enable it');
const sha256 = (text: string) => createHash('sha256').update(text).digest();

/**
 * The operator's login: one user name and password from the configuration. The password is kept
 * only as a scrypt hash; tokens are HS256 JWTs under analytics_jwt_secret with their own audience,
 * so no user access token is ever an admin token. Login attempts are rate limited per address.
 */
export class AdminAuth {
  private constructor(
    private readonly account: { username: Buffer; password: PasswordHash } | undefined,
    private readonly tokens: Hs256Tokens | undefined,
    private readonly attempts: RateLimiter,
  ) {}

  /**
   * Refuses (ConfigError) a default or weak secret or password, as loadConfig does. `attempts` counts
   * login attempts per address (see adminLoginPolicy); the caller owns it.
   */
  static async create(settings: AdminSettings, attempts: RateLimiter): Promise<AdminAuth> {
    checkAdminSecrets(settings);
    const password = settings.admin_password;
    if (password === '') return new AdminAuth(undefined, undefined, attempts);
    const hash = isPasswordHash(password) ? parsePasswordHash(password)! : await hashPassword(password);
    const tokens = new Hs256Tokens(new TextEncoder().encode(settings.analytics_jwt_secret), 'whispr-admin', settings.admin_token_ttl_seconds);
    return new AdminAuth({ username: sha256(settings.admin_username), password: hash }, tokens, attempts);
  }

  get enabled(): boolean {
    return this.account !== undefined;
  }

  async login(ip: string, username: string, password: string): Promise<AdminToken> {
    if (this.account === undefined || this.tokens === undefined) throw disabled();
    const rate = await this.attempts.consume(ip);
    if (!rate.allowed) throw tooMany('RATE_LIMITED', 'Too many login attempts from this address', rate.retryAfter);
    // Both checks always run, so the answer time tells nothing about which one failed.
    const userOk = timingSafeEqual(sha256(username), this.account.username);
    const passwordOk = await verifyPassword(password, this.account.password);
    if (!userOk || !passwordOk) throw unauthorized('INVALID_CREDENTIALS', 'Incorrect username or password');
    return { access_token: await this.tokens.sign(username, { scope: 'admin' }), token_type: 'bearer', expires_in: this.tokens.ttlSeconds };
  }

  /** The admin user name of a request's bearer token; 401 without a valid one, 503 while disabled. */
  async authorize(request: FastifyRequest): Promise<string> {
    if (this.tokens === undefined) throw disabled();
    const token = bearerToken(request.headers);
    if (token === undefined) throw unauthorized('TOKEN_REQUIRED', 'An admin token is required (POST /api/auth/login)');
    const claims = await this.tokens.verify(token);
    if (claims === null || claims.scope !== 'admin') throw unauthorized('TOKEN_INVALID', 'Invalid or expired admin token');
    return claims.sub;
  }
}

/** The login budget per client address: admin_login_attempts_per_minute, as a burst. */
export function adminLoginPolicy(settings: Pick<AdminSettings, 'admin_login_attempts_per_minute'>): BucketPolicy {
  const perMinute = settings.admin_login_attempts_per_minute;
  return { ratePerSecond: perMinute / 60, burst: perMinute };
}

/**
 * A Fastify onRequest/preHandler hook for admin-only routes: `{ onRequest: requireAdmin(adminAuth) }`.
 * As onRequest it answers 401 before the body is read or validated.
 */
export function requireAdmin(auth: AdminAuth): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    await auth.authorize(request);
  };
}
