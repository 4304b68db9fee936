import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type } from 'typebox';

export interface HealthSnapshot {
  ready: boolean;
  /**
   * The figures anyone may read: the rooms protocol's (rooms are public by design). Nothing about
   * other dialects' sockets or queues: that would tell a stranger whether someone is connected or
   * has mail waiting. Those are in the admin status and /metrics.
   */
  published(): Record<string, unknown>;
}

export interface HealthOptions {
  version: string;
  startedAt: number;
  publicKeyHex: string;
  health: HealthSnapshot;
  /** Shown by /public-key, as the original did (analytics_enabled). */
  analyticsEnabled?: boolean;
  /** Throws when the database does not answer. */
  pingStorage(): Promise<void>;
  /** Throws when the bus cannot deliver (Redis unreachable); /readyz checks it with storage. */
  pingBus(): Promise<void>;
}

/** Liveness, readiness and the status document, plus the original GET /public-key. */
export const healthHttp: FastifyPluginAsync<HealthOptions> = async (
  app,
  { version, startedAt, publicKeyHex, health, pingStorage, pingBus, analyticsEnabled = false },
) => {
  const status = async () => {
    const uptime_seconds = Math.round((Date.now() - startedAt) / 1000);
    const figures = health.published();
    // `stats` is the original rooms server's shape; the same figures stay at the top level too.
    return { status: health.ready ? 'ok' : 'draining', version, uptime_seconds, ...figures, stats: { uptime_seconds, ...figures } };
  };
  app.get('/', { schema: { summary: 'Server status', tags: ['operations'] } }, status);
  app.get('/health', { schema: { summary: 'Server status and the public rooms figures', tags: ['operations'] } }, status);
  // The private-comm dialect's health document (its clients ask for /health/ with the slash).
  app.get(
    '/health/',
    { schema: { summary: 'Database check, in the private-comm shape (503 when degraded)', tags: ['operations'] } },
    async (request, reply) => {
      const timestamp = new Date().toISOString();
      try {
        await pingStorage();
        return { status: 'healthy', timestamp, services: { database: 'connected' } };
      } catch (err) {
        request.log.error({ err }, 'storage check failed');
        return reply.code(503).send({ status: 'degraded', timestamp, services: { database: 'error' } });
      }
    },
  );
  app.get('/healthz', { schema: { summary: 'Liveness', tags: ['operations'] } }, async () => ({ status: 'ok' }));
  const passes = (check: () => Promise<void>, name: string, request: FastifyRequest) =>
    check().then(
      () => true,
      (err: unknown) => {
        request.log.warn({ err, check: name }, 'readiness check failed');
        return false;
      },
    );
  app.get(
    '/readyz',
    { schema: { summary: 'Readiness: false while starting or draining, or while storage or the bus does not answer', tags: ['operations'] } },
    async (request, reply) => {
      const [storage, bus] = await Promise.all([passes(pingStorage, 'storage', request), passes(pingBus, 'bus', request)]);
      const ready = health.ready && storage && bus;
      return reply.code(ready ? 200 : 503).send({ ready, storage, bus });
    },
  );
  app.get(
    '/public-key',
    {
      schema: {
        summary: "The server's X25519 public key",
        tags: ['operations'],
        response: { 200: Type.Object({ public_key: Type.String(), analytics: Type.Boolean() }) },
      },
    },
    async () => ({ public_key: publicKeyHex, analytics: analyticsEnabled }),
  );
};
