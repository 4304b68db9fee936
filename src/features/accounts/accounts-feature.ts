import { feature } from '../../app/feature.js';
import { Hs256Tokens } from '../../core/hs256-jwt.js';
import { ipRateLimit } from '../../http/ip-rate-limit.js';
import { perWindow } from '../../rate-limit/policies.js';
import { AccountService } from './account-service.js';
import { AccountSockets } from './account-socket.js';
import { accountsHttp } from './accounts-http.js';

/**
 * The private-comm dialect's accounts: /api/v1 registration, prekey bundles and login. Its socket
 * (/ws?token=) is registered after the calls, which it carries (account-socket-feature.ts).
 */
export const accountsFeature = feature({
  name: 'accounts',
  needs: [],
  options: (config) => ({
    tokenTtlSeconds: config.account_token_ttl_seconds,
    limits: {
      maxUnusedPrekeys: config.max_one_time_prekeys,
      challengeTtlSeconds: config.challenge_ttl_seconds,
      nonceMemorySeconds: config.auth_nonce_memory_seconds,
    },
    // The seed's per-address budgets: [count, period in seconds].
    budgets: {
      register: [config.account_register_per_hour, 3600],
      auth: [config.account_auth_per_minute, 60],
      keys: [config.account_keys_per_minute, 60],
    } as const,
    usedPrekeyRetentionSeconds: config.used_prekey_retention_seconds,
  }),
  async register({ app, platform }, o) {
    const { storage, verifier, secrets, mode, now, hub, limiter } = platform;
    const tokens = new Hs256Tokens(secrets.tokenSecret, 'whispr-account', o.tokenTtlSeconds);
    const accountService = new AccountService({ store: storage.accounts, tokens, verifier, mode, limits: o.limits, now });
    const accountSockets = new AccountSockets(hub);
    // Each a burst refilling evenly over its period.
    const perPeriod = (name: string, [count, seconds]: readonly [number, number]) => ipRateLimit(limiter(`account-${name}`, perWindow(count, seconds)));
    await app.register(accountsHttp, {
      accounts: accountService,
      mode,
      limits: { register: perPeriod('register', o.budgets.register), auth: perPeriod('auth', o.budgets.auth), keys: perPeriod('keys', o.budgets.keys) },
    });
    return {
      // The private-comm client fetches TURN credentials with its account token.
      provides: { accountService, accountSockets, turnCallers: [{ identityOf: (token: string) => accountService.registeredAccountOf(token) }] },
      stats: async () => ({ accounts: await storage.accounts.count(), account_connections: accountSockets.count() }),
      // Pending messages expire with the shared user queues; used prekeys here.
      jobs: [{ name: 'prekeys', run: () => storage.accounts.purgeUsedPrekeys(now() - o.usedPrekeyRetentionSeconds, now()) }],
    };
  },
});
