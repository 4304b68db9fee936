import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ApiError } from '../core/errors.js';
import type { JobStatus } from '../maintenance/cleanup-scheduler.js';

export interface MetricsSources {
  /** This node's id (cluster mode: which node a scrape reached). */
  nodeId: string;
  countsByDialect(): Record<string, number>;
  totalQueued(): Promise<number>;
  cleanup(): Record<string, JobStatus>;
  /** The admin system status, whose numeric figures are exported by path. */
  status(): Promise<Record<string, unknown>>;
}

/**
 * One Prometheus registry per server (never the global one: tests run several servers in one process).
 * Labels carry route patterns, never raw URLs: paths hold public keys.
 */
export function createMetrics(sources: MetricsSources) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'whispr_' });
  const registers = [registry];

  const httpDuration = new Histogram({
    name: 'whispr_http_request_duration_seconds',
    help: 'HTTP request latency by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const relayed = new Counter({ name: 'whispr_messages_relayed_total', help: 'Direct messages accepted by POST /send', registers });
  const rateLimited = new Counter({
    name: 'whispr_rate_limited_total',
    help: 'Requests refused with 429, by route pattern',
    labelNames: ['route'] as const,
    registers,
  });
  const signatureFailures = new Counter({
    name: 'whispr_signature_failures_total',
    help: 'Requests refused with 400 SIGNATURE_INVALID, by route pattern',
    labelNames: ['route'] as const,
    registers,
  });

  new Gauge({
    name: 'whispr_websocket_connections',
    help: 'Open WebSocket connections by dialect',
    labelNames: ['dialect'] as const,
    registers,
    collect() {
      this.reset();
      for (const [dialect, n] of Object.entries(sources.countsByDialect())) this.set({ dialect }, n);
    },
  });
  new Gauge({
    name: 'whispr_queued_messages',
    help: 'Direct messages waiting in inboxes',
    registers,
    async collect() {
      this.set(await sources.totalQueued());
    },
  });
  new Gauge({ name: 'whispr_node_info', help: 'Always 1; its label names this node', labelNames: ['node_id'] as const, registers }).set(
    { node_id: sources.nodeId },
    1,
  );
  new Gauge({
    name: 'whispr_status',
    help: 'Every numeric figure of the admin system status (GET /api/stats/system), by its path, e.g. queued_messages or rooms.invalid_frames',
    labelNames: ['field'] as const,
    registers,
    async collect() {
      this.reset();
      for (const [field, value] of numericFigures(await sources.status())) this.set({ field }, value);
    },
  });
  const jobCounter = (name: string, help: string, field: 'runs' | 'removed') =>
    new Counter({
      name,
      help,
      labelNames: ['job'] as const,
      registers,
      collect() {
        this.reset();
        for (const [job, status] of Object.entries(sources.cleanup())) this.inc({ job }, status[field]);
      },
    });
  jobCounter('whispr_cleanup_runs_total', 'Cleanup job runs', 'runs');
  jobCounter('whispr_cleanup_removed_total', 'Items removed by cleanup jobs', 'removed');

  return {
    registry,
    /** Root-level hooks: latency per route, accepted sends, 429s and signature failures. */
    instrument(app: FastifyInstance): void {
      app.addHook('onError', async (request, _reply, error) => {
        if (error instanceof ApiError && error.code === 'SIGNATURE_INVALID') signatureFailures.inc({ route: routeOf(request) });
      });
      app.addHook('onResponse', async (request, reply) => {
        const route = routeOf(request);
        const status = reply.statusCode;
        httpDuration.observe({ method: request.method, route, status: String(status) }, reply.elapsedTime / 1000);
        if (status === 429) rateLimited.inc({ route });
        if (status === 200 && request.method === 'POST' && route === '/send') relayed.inc();
      });
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** The numeric leaves of a nested object, each with its dotted path. */
function numericFigures(value: unknown, path = ''): Array<[string, number]> {
  if (typeof value === 'number') return [[path, value]];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) => numericFigures(inner, path === '' ? key : `${path}.${key}`));
}

function routeOf(request: { routeOptions: { url?: string | undefined } }): string {
  return request.routeOptions.url ?? 'unmatched';
}
