import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/settings.js';
import { compileProxyTrust, LEGACY_TRUE } from '../core/proxy-trust.js';
import { loadServerSecrets } from '../core/server-secrets.js';
import { createChatAuth } from '../features/chat/index.js';
import { healthHttp } from '../http/health-http.js';
import { CLOSE, WsGateway } from '../http/ws-gateway.js';
import { CleanupScheduler } from '../maintenance/cleanup-scheduler.js';
import { createMetrics } from '../metrics/metrics.js';
import { closeListener, startMetricsListener } from '../metrics/metrics-http.js';
import { openBackends } from './backends.js';
import { FEATURES } from './features.js';
import { createHttpApp } from './http-app.js';
import { createLogger } from './logger.js';
import { createPlatform } from './platform.js';
import { registerFeatures } from './register-features.js';
import { ServerStatus } from './server-status.js';
import { prepareDataDir } from './data-dir.js';
import { explainListenFailure } from './listen-failure.js';
import { startupSummary } from './startup-summary.js';
import { readTlsFiles } from './tls.js';
import { VERSION } from './version.js';

const CLUSTER_SWEEP_MS = 5_000;

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

/**
 * The composition root: open the backends, build the platform, the HTTP app and the WebSocket
 * gateway, register every feature of FEATURES in order, then derive health, cleanup, the cluster
 * sweep and shutdown from what the features returned.
 */
export async function createWhisprServer(config: Config, options: { logger?: Logger; settingsFile?: string } = {}): Promise<WhisprServer> {
  const log = options.logger ?? createLogger(config.log_level);
  const tls = readTlsFiles(config);
  const chatSignIn = createChatAuth(config, log); // refuses an unusable OIDC setup before anything opens
  const startedAt = Date.now();
  prepareDataDir(config.data_dir);
  const secrets = loadServerSecrets(config.data_dir, config.jwt_secret);
  const backends = await openBackends(config, log);
  const platform = await createPlatform(config, { backends, secrets, chatSignIn, startedAt, log });
  const { storage, hub, onError } = platform;
  const proxyTrust = compileProxyTrust(config.trust_proxy);

  const gateway = new WsGateway({
    maxConnections: config.max_websocket_connections,
    maxConnectionsPerIp: config.max_websocket_connections_per_ip,
    maxBufferedBytes: config.websocket_send_buffer_bytes,
    heartbeatMs: config.heartbeat_interval_seconds * 1000,
    // Pings are counted per connection like frames: a flood gets a 1008 close frame.
    pings: { ratePerSecond: config.websocket_frames_per_second, burst: Math.max(1, 2 * config.websocket_frames_per_second) },
    proxyTrust,
    slots: backends.slots,
    onError,
  });
  let ready = false;
  let closing = false;
  const status = new ServerStatus(config, platform, gateway);
  const metrics = createMetrics({
    nodeId: backends.nodeId,
    countsByDialect: () => gateway.countsByDialect(),
    totalQueued: () => storage.inbox.totalQueued(),
    cleanup: status.cleanup,
    status: status.details,
  });
  const app = await createHttpApp(config, { log, tls, metrics, proxyTrust, isClosing: () => closing });
  let metricsListener: Awaited<ReturnType<typeof startMetricsListener>> | undefined;

  await app.register(healthHttp, {
    pingStorage: () => storage.ping(),
    pingBus: () => backends.bus.ping(),
    version: VERSION,
    startedAt,
    publicKeyHex: secrets.publicKeyHex,
    analyticsEnabled: platform.analytics.enabled,
    health: {
      get ready() {
        return ready;
      },
      published: status.published,
    },
  });
  const features = await registerFeatures(FEATURES, { app, gateway, platform }, config, { systemDetails: status.details });
  gateway.attach(app.server);

  // Chat-app events and private-comm pending messages share the durable user queues.
  const userQueues = { name: 'user_queues', run: () => storage.userQueues.purgeExpired(platform.now()) };
  const cleanup = new CleanupScheduler([...features.jobs, userQueues], (job, err) => log.error({ err, job }, 'cleanup job failed'));
  status.assembled({ features, cleanup });
  const sweeps = [...features.sweeps, () => hub.sweep((ids) => storage.userQueues.nonEmpty(ids, platform.now()))];
  let sweeping: Promise<unknown> | undefined;
  const sweeper =
    config.bus === 'redis'
      ? setInterval(() => {
          // A sweep still running (a slow database) is not overtaken by the next one.
          if (sweeping) return;
          sweeping = Promise.all(sweeps.map((sweep) => sweep()))
            .catch(onError)
            .finally(() => (sweeping = undefined));
        }, CLUSTER_SWEEP_MS).unref()
      : undefined;

  if (config.trust_proxy.includes(LEGACY_TRUE)) {
    log.warn("trust_proxy=true now trusts proxies on loopback only: set your proxies' addresses or CIDR ranges (see docs/operations.md)");
  }
  if (config.security === 'compat') {
    log.warn('security=compat: inbox, push sockets and downloads accept unauthenticated calls, as the original Whispr server did');
  }

  return {
    app,
    config,
    log,
    async listen() {
      const address = await explainListenFailure(() => app.listen({ host: config.host, port: config.port }), config.host, config.port, 'port');
      if (config.metrics_port !== 0) {
        const listening = () => startMetricsListener(metrics.registry, config.metrics_host, config.metrics_port);
        metricsListener = await explainListenFailure(listening, config.metrics_host, config.metrics_port, 'metrics_port');
      }
      cleanup.start(config.cleanup_interval_seconds * 1000);
      ready = true;
      const summary = startupSummary(config, {
        address,
        settingsFile: options.settingsFile,
        metricsUrl: metricsListener?.url,
        schema: storage.schema,
        nodeId: backends.nodeId,
        signatures: platform.verifier.backend,
        features: FEATURES.map((f) => f.name),
        sockets: Object.keys(gateway.countsByDialect()),
      });
      log.info(summary, 'whispr listening');
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
      await features.close(onError);
      await platform.close();
      await backends.close();
    },
    runCleanup: () => cleanup.runOnce(),
  };
}
