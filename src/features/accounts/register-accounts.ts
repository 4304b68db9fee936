import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config/settings.js';
import type { Ed25519Verifier } from '../../core/ed25519.js';
import { Hs256Tokens } from '../../core/hs256-jwt.js';
import { ipRateLimit } from '../../http/ip-rate-limit.js';
import type { WsGateway } from '../../http/ws-gateway.js';
import type { CleanupJob } from '../../maintenance/cleanup-scheduler.js';
import type { BucketPolicy, RateLimiter } from '../../rate-limit/rate-limiter.js';
import type { CallService } from '../calls/call-service.js';
import type { QueueHub } from '../queues/queue-hub.js';
import type { UserQueueStore } from '../queues/user-queue-store.js';
import { AccountService } from './account-service.js';
import { accountSocketEndpoint, type AccountSockets } from './account-socket.js';
import type { AccountStore } from './account-store.js';
import { accountsHttp } from './accounts-http.js';

export interface AccountsFeature {
  /** The prekey cleanup (pending messages expire with the shared user queues). */
  cleanup: CleanupJob;
}

/**
 * The account service alone (no routes): built before the calls feature, whose TURN route accepts
 * account tokens through it, while the account socket registered below needs the calls.
 */
export function createAccountService(deps: { config: Config; store: AccountStore; verifier: Ed25519Verifier; tokenSecret: Uint8Array; now: () => number }): AccountService {
  const { config } = deps;
  return new AccountService({
    store: deps.store,
    tokens: new Hs256Tokens(deps.tokenSecret, 'whispr-account', config.account_token_ttl_seconds),
    verifier: deps.verifier,
    mode: config.security,
    limits: { maxUnusedPrekeys: config.max_one_time_prekeys, challengeTtlSeconds: config.challenge_ttl_seconds, nonceMemorySeconds: config.auth_nonce_memory_seconds },
    now: deps.now,
  });
}

/** The private-comm dialect: /api/v1 registration, bundles and login, and the /ws?token= socket, over `service`. */
export async function registerAccounts(
  app: FastifyInstance,
  gateway: WsGateway,
  deps: {
    config: Config;
    service: AccountService;
    store: AccountStore;
    queue: UserQueueStore;
    hub: QueueHub;
    calls: CallService;
    sockets: AccountSockets;
    /** Per-address budgets, shared by every node in a cluster. */
    limiter: (name: string, policy: BucketPolicy) => RateLimiter;
    now: () => number;
    onError: (err: unknown) => void;
  },
): Promise<AccountsFeature> {
  const { config, service, now } = deps;
  // The seed's per-address limits, each a burst refilling evenly over its period.
  const perPeriod = (name: string, count: number, seconds: number) => ipRateLimit(deps.limiter(name, { ratePerSecond: count / seconds, burst: Math.max(1, count) }));
  await app.register(accountsHttp, {
    accounts: service,
    mode: config.security,
    limits: {
      register: perPeriod('account-register', config.account_register_per_hour, 3600),
      auth: perPeriod('account-auth', config.account_auth_per_minute, 60),
      keys: perPeriod('account-keys', config.account_keys_per_minute, 60),
    },
  });
  const rate = config.websocket_frames_per_second;
  gateway.register(
    accountSocketEndpoint(
      {
        accounts: service,
        queue: deps.queue,
        hub: deps.hub,
        calls: deps.calls,
        frames: { ratePerSecond: rate, burst: Math.max(1, 2 * rate) },
        now,
        limits: {
          maxConnections: config.account_max_connections,
          maxMessageBytes: config.max_message_size,
          maxQueued: config.max_messages_per_recipient,
          pendingTtlSeconds: config.pending_message_ttl_seconds,
        },
        onError: deps.onError,
      },
      deps.sockets,
    ),
  );
  return {
    cleanup: { name: 'prekeys', run: () => deps.store.purgeUsedPrekeys(now() - config.used_prekey_retention_seconds, now()) },
  };
}
