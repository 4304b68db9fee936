import { randomBytes } from 'node:crypto';

/**
 * The bench's metrics token: every Whispr child gets it (WHISPR_METRICS_TOKEN in the children's
 * environment) so the bench can read the queue figures Whispr keeps off its public /health.
 */
export const METRICS_TOKEN = randomBytes(16).toString('hex');

const STATUS_FIGURE = /^whispr_status\{field="([^"]+)"\} (\S+)$/;

/**
 * A queue figure of a server: the bare servers answer it on GET /health; Whispr in its admin status,
 * which /metrics exports as `whispr_status{field="..."}`.
 */
async function figure(url: string, field: string): Promise<number> {
  const health = (await (await fetch(new URL('/health', url))).json()) as Record<string, unknown>;
  if (typeof health[field] === 'number') return health[field];
  const metrics = await fetch(new URL('/metrics', url), { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  for (const line of (await metrics.text()).split('\n')) {
    const match = STATUS_FIGURE.exec(line);
    if (match?.[1] === field) return Number(match[2]);
  }
  throw new Error(`${url} has no ${field} on /health or /metrics (status ${metrics.status})`);
}

/** Direct messages still queued. */
export const queuedMessages = (url: string): Promise<number> => figure(url, 'queued_messages');

/** Chat-app events not yet acknowledged. */
export const queuedUserEvents = (url: string): Promise<number> => figure(url, 'queued_user_events');

/**
 * Direct messages still queued once the server settled: a pushed message leaves the queue only after
 * its frame was written (a statement of its own, after the frame the bench counts), so the count is
 * read again until it is 0 or `withinMs` passed.
 */
export async function settledQueuedMessages(url: string, withinMs = 2_000): Promise<number> {
  const deadline = performance.now() + withinMs;
  let queued = await queuedMessages(url);
  while (queued > 0 && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    queued = await queuedMessages(url);
  }
  return queued;
}
