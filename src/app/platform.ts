import type { Logger } from 'pino';
import type { MessageBus } from '../bus/message-bus.js';
import type { GroupCluster } from '../cluster/group-link.js';
import type { KeyLocks } from '../cluster/key-locks.js';
import type { Config } from '../config/settings.js';
import { nowSeconds } from '../core/clock.js';
import { createEd25519Verifier, type Ed25519Verifier } from '../core/ed25519.js';
import type { ServerSecrets } from '../core/server-secrets.js';
import { AdminAuth, adminLoginPolicy } from '../features/admin/index.js';
import { createAnalytics, type Analytics } from '../features/analytics/index.js';
import { type ChallengeStore, KeyAuthorizer, type SecurityMode, TokenService } from '../features/auth/index.js';
import type { ChatAuth } from '../features/chat/index.js';
import { QueueHub } from '../features/queues/index.js';
import type { Budget } from '../http/budget.js';
import { addressBudget, ipRateLimit } from '../http/ip-rate-limit.js';
import { createLocalRateLimiter } from '../rate-limit/local-rate-limiter.js';
import { perSecond } from '../rate-limit/policies.js';
import type { BucketPolicy, RateLimiter } from '../rate-limit/rate-limiter.js';
import type { Storage } from '../storage/storage.js';
import type { Backends } from './backends.js';

const ANALYTICS_FLUSH_MS = 5_000;

/** What every feature may use: the opened backends and the services they all share. */
export interface Platform {
  mode: SecurityMode;
  storage: Storage;
  bus: MessageBus;
  nodeId: string;
  /** A budget shared by every node (bus=redis) or this process alone; `name` keeps budgets apart. */
  limiter(name: string, policy: BucketPolicy): RateLimiter;
  challenges: ChallengeStore & { size(): number };
  locks: KeyLocks;
  /** Rooms' and calls' view of the other nodes, or undefined when this process is the whole deployment. */
  groupCluster: GroupCluster | undefined;
  /** Wakes the sockets of durable per-user queues on any node, and says who is online. */
  hub: QueueHub;
  verifier: Ed25519Verifier;
  tokens: TokenService;
  /** Who a request acts for: the token's key (strict) or the asserted one (compat). */
  authorizer: KeyAuthorizer;
  analytics: Analytics;
  /** Sends per second per sender signing key (relay and attachments share it). */
  senderLimiter: RateLimiter;
  /** Per-address budget of every write and auth call, keyed by addressKey (an IPv6 /64 is one address). */
  addressBudget: Budget;
  /** The same budget as a route hook, spent before the body is read. */
  ipLimit: ReturnType<typeof ipRateLimit>;
  /** Frames per connection per second (a connection lives on one node). */
  frameLimiter: RateLimiter;
  secrets: ServerSecrets;
  /** Chat-app sign-in (OIDC ID tokens), used by the chat routes and the events socket. */
  chatSignIn: ChatAuth;
  /** The operator's sign-in (admin API, dashboard, the events cleanup route). */
  adminAuth: AdminAuth;
  /** When this process started (ms), for uptime figures. */
  startedAt: number;
  log: Logger;
  now: () => number;
  onError: (err: unknown) => void;
  close(): Promise<void>;
}

export interface PlatformInputs {
  backends: Backends;
  secrets: ServerSecrets;
  /** Built before the backends open, so an unusable OIDC setup is refused first. */
  chatSignIn: ChatAuth;
  startedAt: number;
  log: Logger;
}

export async function createPlatform(config: Config, { backends, secrets, chatSignIn, startedAt, log }: PlatformInputs): Promise<Platform> {
  const { storage } = backends;
  const onError = (err: unknown) => log.error({ err }, 'background task failed');
  // Counters in memory, flushed every few seconds; a no-op recorder when analytics_enabled is false.
  const analytics = await createAnalytics({
    enabled: config.analytics_enabled,
    store: storage.analytics,
    now: nowSeconds,
    flushIntervalMs: ANALYTICS_FLUSH_MS,
    onError,
  });
  const tokens = new TokenService(secrets.tokenSecret, config.token_ttl_seconds);
  const addressLimiter = backends.limiter('ip', perSecond(config.max_requests_per_ip_per_second, 2));
  const frameLimiter = createLocalRateLimiter(perSecond(config.websocket_frames_per_second, 2));
  return {
    mode: config.security,
    storage,
    bus: backends.bus,
    nodeId: backends.nodeId,
    limiter: backends.limiter,
    challenges: backends.challenges,
    locks: backends.locks,
    groupCluster: backends.groupCluster,
    hub: new QueueHub(backends.bus, backends.presence, onError),
    verifier: createEd25519Verifier(),
    tokens,
    authorizer: new KeyAuthorizer(config.security, tokens),
    analytics,
    senderLimiter: backends.limiter('sender', perSecond(config.max_messages_per_second, 1)),
    addressBudget: addressBudget(addressLimiter),
    ipLimit: ipRateLimit(addressLimiter),
    frameLimiter,
    secrets,
    chatSignIn,
    adminAuth: await AdminAuth.create(config, backends.limiter('admin-login', adminLoginPolicy(config))),
    startedAt,
    log,
    now: nowSeconds,
    onError,
    async close() {
      frameLimiter.close();
      await analytics.close();
    },
  };
}
