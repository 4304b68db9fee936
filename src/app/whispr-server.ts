import cors from '@fastify/cors';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/settings.js';
import { nowSeconds } from '../core/clock.js';
import { createEd25519Verifier } from '../core/ed25519.js';
import { loadServerSecrets } from '../core/server-secrets.js';
import { AttachmentService } from '../features/attachments/attachment-service.js';
import { attachmentHttp } from '../features/attachments/whispr-http.js';
import { authHttp } from '../features/auth/auth-http.js';
import { AuthService } from '../features/auth/auth-service.js';
import { AccountSockets } from '../features/accounts/account-socket.js';
import { registerAccounts } from '../features/accounts/register-accounts.js';
import { registerCalls } from '../features/calls/register-calls.js';
import { registerGroups } from '../features/groups/register-groups.js';
import { createChatAuth } from '../features/chat/chat-auth.js';
import { registerChat } from '../features/chat/register-chat.js';
import { registerEvents } from '../features/events/register-events.js';
import { registerRooms } from '../features/rooms/register-rooms.js';
import { AdminAuth, adminLoginPolicy, requireAdmin } from '../features/admin/admin-auth.js';
import { registerAdmin } from '../features/admin/register-admin.js';
import { createAnalytics } from '../features/analytics/analytics.js';
import { KeyAuthorizer } from '../features/auth/key-authorizer.js';
import { TokenService } from '../features/auth/token-service.js';
import { QueueHub } from '../features/queues/queue-hub.js';
import { InboxPush } from '../features/relay/inbox-push.js';
import { RelayService } from '../features/relay/relay-service.js';
import { relayHttp } from '../features/relay/whispr-http.js';
import { whisprSocketEndpoint } from '../features/relay/whispr-socket.js';
import { frameworkError, installErrorHandler } from '../http/error-handler.js';
import { healthHttp } from '../http/health-http.js';
import { clientError } from '../http/raw-error-response.js';
import { ipRateLimit } from '../http/ip-rate-limit.js';
import { registerOpenApi } from '../http/openapi.js';
import { inputFault } from '../http/input-faults.js';
import { createValidatorCompiler } from '../http/validation.js';
import { CLOSE, WsGateway } from '../http/ws-gateway.js';
import { CleanupScheduler } from '../maintenance/cleanup-scheduler.js';
import { createMetrics } from '../metrics/metrics.js';
import { closeListener, registerTokenRoute, startMetricsListener } from '../metrics/metrics-http.js';
import { createLocalRateLimiter } from '../rate-limit/local-rate-limiter.js';
import { openBackends } from './backends.js';
import { createLogger } from './logger.js';
import { VERSION } from './version.js';
import { readTlsFiles } from './tls.js';

/**
 * How long a message stays hidden while a socket writes it. A node that dies keeps its leases until
 * they expire, so a cluster uses short ones and sweeps its sockets' queues (which also catches
 * wake-ups missed while its Redis link was down); one process alone clears leases at start instead.
 */
const PUSH_LEASE_SECONDS = { single: 60, cluster: 10 } as const;
const CLUSTER_SWEEP_MS = 5_000;
const ANALYTICS_FLUSH_MS = 5_000;

export interface WhisprServer {
  readonly app: FastifyInstance;
  readonly config: Config;
  readonly log: Logger;
  /** Starts listening; resolves to the base URL. */
  listen(): Promise<string>;
  /** Graceful stop: not ready, no new connections, sockets told to reconnect, in-flight work finished. */
  close(): Promise<void>;
  /** Runs every cleanup job once now (operators and tests). */
  runCleanup(): Promise<void>;
}

export async function createWhisprServer(config: Config, options: { logger?: Logger } = {}): Promise<WhisprServer> {
  const log = options.logger ?? createLogger(config.log_level);
  const tls = readTlsFiles(config);
  const chatAuth = createChatAuth(config, log); // refuses an unusable OIDC setup before anything opens
  const startedAt = Date.now();
  const secrets = loadServerSecrets(config.data_dir, config.jwt_secret);
  const backends = await openBackends(config, log);
  const { storage, bus, presence } = backends;
  const adminAuth = await AdminAuth.create(config, backends.limiter('admin-login', adminLoginPolicy(config)));
  const verifier = createEd25519Verifier();
  const onError = (err: unknown) => log.error({ err }, 'background task failed');
  // Counters in memory, flushed every few seconds; a no-op recorder when analytics_enabled is false.
  const analytics = await createAnalytics({ enabled: config.analytics_enabled, store: storage.analytics, now: nowSeconds, flushIntervalMs: ANALYTICS_FLUSH_MS, onError });

  const senderLimiter = backends.limiter('sender', { ratePerSecond: config.max_messages_per_second, burst: Math.max(1, config.max_messages_per_second) });
  const ipLimiter = backends.limiter('ip', { ratePerSecond: config.max_requests_per_ip_per_second, burst: Math.max(1, 2 * config.max_requests_per_ip_per_second) });
  // Frames (and pings, on every socket) are counted per connection, which lives on one node.
  const framePolicy = { ratePerSecond: config.websocket_frames_per_second, burst: Math.max(1, 2 * config.websocket_frames_per_second) };
  const frameLimiter = createLocalRateLimiter(framePolicy);
  const { challenges } = backends;
  const tokens = new TokenService(secrets.tokenSecret, config.token_ttl_seconds);
  const authorizer = new KeyAuthorizer(config.security, tokens);
  const auth = new AuthService({ challenges, tokens, verifier, challengeTtlSeconds: config.challenge_ttl_seconds, now: nowSeconds });

  const relay = new RelayService({
    inbox: storage.inbox,
    bus,
    verifier,
    senderLimiter,
    now: nowSeconds,
    analytics,
    limits: {
      maxMessageBytes: config.max_message_size,
      maxQueuedPerRecipient: config.max_messages_per_recipient,
      messageTtlSeconds: config.message_ttl_seconds,
      replayWindowSeconds: config.replay_window_seconds,
      clockSkewSeconds: config.clock_skew_seconds,
    },
  });
  const push = new InboxPush({ inbox: storage.inbox, bus, now: nowSeconds, leaseSeconds: PUSH_LEASE_SECONDS[config.bus === 'redis' ? 'cluster' : 'single'], onError });
  const attachments = new AttachmentService({
    grants: storage.attachments,
    blobs: storage.blobs,
    locks: backends.locks,
    verifier,
    senderLimiter,
    maxBytes: config.attachment_max_size_bytes,
    ttlSeconds: config.attachment_ttl_seconds,
    now: nowSeconds,
    analytics,
  });

  const gateway = new WsGateway({
    maxConnections: config.max_websocket_connections,
    maxConnectionsPerIp: config.max_websocket_connections_per_ip,
    maxBufferedBytes: config.websocket_send_buffer_bytes,
    heartbeatMs: config.heartbeat_interval_seconds * 1000,
    pings: framePolicy,
    trustProxy: config.trust_proxy,
    slots: backends.slots,
    onError,
  });
  gateway.register(whisprSocketEndpoint({ push, authorizer, frameLimiter, onError }));
  const rooms = await registerRooms(gateway, config, { bus, nodeId: backends.nodeId, onError });

  let ready = false;
  let closing = false;
  // Node checks the header and request timeouts only every connectionsCheckingInterval (30 s by default).
  const timeoutCheckMs = Math.min(1_000, config.header_timeout_seconds * 250);
  const app: FastifyInstance = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    // Request logs are written below without URLs: paths carry public keys (metadata).
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: config.trust_proxy,
    bodyLimit: 65_536,
    requestTimeout: config.request_timeout_seconds * 1000,
    http: { connectionsCheckingInterval: timeoutCheckMs },
    // With TLS Fastify builds an https.Server from these options instead (WebSockets become wss://).
    ...(tls === undefined ? {} : { https: { ...tls, connectionsCheckingInterval: timeoutCheckMs } }),
    return503OnClosing: true,
    clientErrorHandler: clientError,
    frameworkErrors: frameworkError,
    forceCloseConnections: 'idle',
  });
  app.server.headersTimeout = config.header_timeout_seconds * 1000;
  app.setValidatorCompiler(createValidatorCompiler());
  installErrorHandler(app);
  const metrics = createMetrics({ countsByDialect: () => gateway.countsByDialect(), totalQueued: () => storage.inbox.totalQueued(), cleanup: () => cleanup.snapshot() });
  metrics.instrument(app);
  if (config.metrics_token !== '') registerTokenRoute(app, metrics.registry, config.metrics_token);
  let metricsListener: Awaited<ReturnType<typeof startMetricsListener>> | undefined;
  app.addHook('preValidation', async (request) => {
    const fault = inputFault(request.params) ?? inputFault(request.query) ?? inputFault(request.body);
    if (fault !== undefined) throw fault;
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info({ route: request.routeOptions.url ?? 'unmatched', method: request.method, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
    // A response (e.g. a file stream) that finishes after close() began would leave its keep-alive
    // connection open, past Fastify's one sweep of idle connections, and hold close() for keepAliveTimeout.
    if (closing) request.raw.socket?.destroySoon?.();
  });
  if (config.cors_origins.length > 0) await app.register(cors, { origin: config.cors_origins });

  const ipLimit = ipRateLimit(ipLimiter);
  await registerOpenApi(app, VERSION);
  // /health and the admin dashboard's system status show the same figures.
  const healthDetails = async () => {
    const roomStats = rooms.stats();
    return {
      active_connections: gateway.connectionCount(),
      active_rooms: roomStats.active_rooms,
      total_users: roomStats.total_users,
      security: config.security,
      storage: storage.kind,
      bus: config.bus,
      node_id: backends.nodeId,
      signature_backend: verifier.backend,
      websocket_connections: gateway.countsByDialect(),
      rooms: roomStats,
      calls: calls.stats(),
      queued_messages: await storage.inbox.totalQueued(),
      queued_user_events: await storage.userQueues.depth(),
      accounts: await storage.accounts.count(),
      account_connections: accountSockets.count(),
      attachments: await storage.attachments.count(),
      pending_challenges: challenges.size(),
      cleanup: cleanup.snapshot(),
    };
  };
  await app.register(healthHttp, {
    pingStorage: () => storage.ping(),
    version: VERSION,
    startedAt,
    publicKeyHex: secrets.publicKeyHex,
    analyticsEnabled: analytics.enabled,
    health: {
      get ready() {
        return ready;
      },
      details: healthDetails,
    },
  });
  await app.register(authHttp, { auth, ipLimit });
  await app.register(relayHttp, { relay, authorizer, ipLimit, maxMessageBytes: config.max_message_size });
  await app.register(attachmentHttp, { attachments, authorizer, ipLimit, maxBytes: config.attachment_max_size_bytes });
  const hub = new QueueHub(bus, presence, onError);
  const accountSockets = new AccountSockets(hub);
  const calls = await registerCalls(app, gateway, authorizer, config, accountSockets, { cluster: rooms.cluster, onError });
  const accounts = await registerAccounts(app, gateway, {
    config,
    store: storage.accounts,
    queue: storage.userQueues,
    hub,
    calls,
    sockets: accountSockets,
    verifier,
    tokenSecret: secrets.tokenSecret,
    limiter: backends.limiter,
    now: nowSeconds,
    onError,
  });
  const groupOperations = await registerGroups(app, { store: storage.groups, blobs: storage.groupBlobs, locks: backends.locks, bus, authorizer, config, now: nowSeconds, analytics });
  const events = await registerEvents(app, gateway, {
    config,
    queue: storage.userQueues,
    hub,
    identity: chatAuth,
    isUser: async (userId) => (await storage.chatUsers.get(userId)) !== undefined,
    requireAdmin: requireAdmin(adminAuth),
    now: nowSeconds,
    onError,
  });
  await registerChat(app, { config, auth: chatAuth, users: storage.chatUsers, groups: storage.chatGroups, events, now: nowSeconds, onError });
  await registerAdmin(app, { auth: adminAuth, analytics, groups: groupOperations, systemDetails: healthDetails, version: VERSION, startedAt, dataDir: config.data_dir, now: nowSeconds, log });
  gateway.attach(app.server);
  let sweeping: Promise<unknown> | undefined;
  const sweeper =
    config.bus === 'redis'
      ? setInterval(() => {
          // A sweep still running (a slow database) is not overtaken by the next one.
          if (sweeping) return;
          sweeping = Promise.all([push.sweep(), hub.sweep((ids) => storage.userQueues.nonEmpty(ids, nowSeconds()))])
            .catch(onError)
            .finally(() => (sweeping = undefined));
        }, CLUSTER_SWEEP_MS).unref()
      : undefined;
  const cleanup = new CleanupScheduler(
    [
      { name: 'inbox', run: () => storage.inbox.purgeExpired(nowSeconds()) },
      { name: 'attachments', run: () => attachments.purgeExpired() },
      { name: 'user_queues', run: () => storage.userQueues.purgeExpired(nowSeconds()) },
      accounts.cleanup,
    ],
    (job, err) => log.error({ err, job }, 'cleanup job failed'),
  );

  if (config.security === 'compat') {
    log.warn('security=compat: inbox, push sockets and downloads accept unauthenticated calls, as the original Whispr server did');
  }

  return {
    app,
    config,
    log,
    async listen() {
      const address = await app.listen({ host: config.host, port: config.port });
      if (config.metrics_port !== 0) metricsListener = await startMetricsListener(metrics.registry, config.metrics_host, config.metrics_port);
      cleanup.start(config.cleanup_interval_seconds * 1000);
      ready = true;
      log.info({ address, security: config.security, storage: storage.kind, bus: config.bus, node: backends.nodeId, signatures: verifier.backend }, 'whispr listening');
      return address;
    },
    async close() {
      ready = false;
      closing = true;
      gateway.close(CLOSE.serviceRestart, 'server restarting; reconnect');
      await app.close();
      await closeListener(metricsListener?.server);
      await cleanup.stop();
      clearInterval(sweeper);
      frameLimiter.close();
      rooms.close();
      calls.close();
      await analytics.close();
      await backends.close();
    },
    runCleanup: () => cleanup.runOnce(),
  };
}

