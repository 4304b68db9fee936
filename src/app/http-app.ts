import cors from '@fastify/cors';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/settings.js';
import type { ProxyTrust } from '../core/proxy-trust.js';
import { frameworkError, installErrorHandler } from '../http/error-handler.js';
import { registerOpenApi } from '../http/openapi.js';
import { clientError } from '../http/raw-error-response.js';
import { inputFault } from '../http/input-faults.js';
import { createValidatorCompiler } from '../http/validation.js';
import { registerTokenRoute } from '../metrics/metrics-http.js';
import type { Metrics } from '../metrics/metrics.js';
import { VERSION } from './version.js';
import type { TlsFiles } from './tls.js';

/** The HTTP app every feature registers on: timeouts, TLS, validation, errors, metrics, request logs, CORS, OpenAPI. */
export async function createHttpApp(
  config: Config,
  deps: { log: Logger; tls: TlsFiles | undefined; metrics: Metrics; proxyTrust: ProxyTrust | false; isClosing: () => boolean },
): Promise<FastifyInstance> {
  const { log, tls, metrics } = deps;
  // Node checks the header and request timeouts only every connectionsCheckingInterval (30 s by default).
  const timeoutCheckMs = Math.min(1_000, config.header_timeout_seconds * 250);
  const app: FastifyInstance = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    // Request logs are written below without URLs: paths carry public keys (metadata).
    logController: new LogController({ disableRequestLogging: true }),
    // The same compiled rule as the WebSocket upgrades (http/client-address.ts): right-most untrusted hop.
    trustProxy: deps.proxyTrust,
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
  metrics.instrument(app);
  if (config.metrics_token !== '') registerTokenRoute(app, metrics.registry, config.metrics_token);
  app.addHook('preValidation', async (request) => {
    const fault = inputFault(request.params) ?? inputFault(request.query) ?? inputFault(request.body);
    if (fault !== undefined) throw fault;
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      { route: request.routeOptions.url ?? 'unmatched', method: request.method, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
    // A response (e.g. a file stream) that finishes after close() began would leave its keep-alive
    // connection open, past Fastify's one sweep of idle connections, and hold close() for keepAliveTimeout.
    if (deps.isClosing()) request.raw.socket?.destroySoon?.();
  });
  if (config.cors_origins.length > 0) await app.register(cors, { origin: config.cors_origins });
  await registerOpenApi(app, VERSION);
  return app;
}
