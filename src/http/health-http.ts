import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';

export interface HealthSnapshot {
  ready: boolean;
  details(): Promise<Record<string, unknown>>;
}

export interface HealthOptions {
  version: string;
  startedAt: number;
  publicKeyHex: string;
  health: HealthSnapshot;
}

/** Liveness, readiness and the status document, plus the original GET /public-key. */
export const healthHttp: FastifyPluginAsync<HealthOptions> = async (app, { version, startedAt, publicKeyHex, health }) => {
  const status = async () => ({
    status: health.ready ? 'ok' : 'draining',
    version,
    uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
    ...(await health.details()),
  });
  app.get('/', { schema: { summary: 'Server status', tags: ['operations'] } }, status);
  app.get('/health', { schema: { summary: 'Server status, limits and counters', tags: ['operations'] } }, status);
  app.get('/healthz', { schema: { summary: 'Liveness', tags: ['operations'] } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { summary: 'Readiness: false while starting or draining', tags: ['operations'] } }, async (_request, reply) =>
    reply.code(health.ready ? 200 : 503).send({ ready: health.ready }),
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
    async () => ({ public_key: publicKeyHex, analytics: false }),
  );
};
