/** The figures a server keeps off its public /health (queues, sockets by dialect, counters), read where they now live: /metrics. */
import { expect } from 'vitest';

const FIGURE = /^whispr_status\{field="([^"]+)"\} (\S+)$/;

/** A server with a metrics token: a test server, or a cluster node with the token the cluster kit gives every node. */
export interface Scraped {
  url: string;
  config: { metrics_token: string };
}

/** The text of GET /metrics on the main port. */
export async function scrapeMetrics(srv: Scraped): Promise<string> {
  const response = await fetch(new URL('/metrics', srv.url), { headers: { authorization: `Bearer ${srv.config.metrics_token}` } });
  expect(response.status).toBe(200);
  return response.text();
}

/** Every figure of the admin system status, by its dotted path (e.g. `queued_messages`, `websocket_connections.whispr`). */
export async function statusFigures(srv: Scraped): Promise<Record<string, number>> {
  const figures: Record<string, number> = {};
  for (const line of (await scrapeMetrics(srv)).split('\n')) {
    const match = FIGURE.exec(line);
    if (match) figures[match[1]!] = Number(match[2]);
  }
  return figures;
}

/** One figure; 0 when the server has none by that path (e.g. a dialect with no socket yet). */
export async function statusFigure(srv: Scraped, field: string): Promise<number> {
  return (await statusFigures(srv))[field] ?? 0;
}
