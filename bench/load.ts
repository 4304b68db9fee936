import autocannon from 'autocannon';
import type { BodyPool } from './bodies.js';
import { Samples, round } from './stats.js';

/** What runLoad sends next: a body, or a body with its own headers (e.g. the sender's bearer token). */
export interface RequestFeed {
  take(): Buffer | { body: Buffer; headers: Record<string, string> };
}

/** Hands out pre-built bodies in order; running past the end reuses bodies (counted: those answer as duplicates). */
export class BodyCursor implements RequestFeed {
  private next = 0;
  reused = 0;
  /** performance.now() when each body was handed to a connection (for send-to-push latency); grows with the pool. */
  sentAt: Float64Array<ArrayBuffer>;

  constructor(readonly pool: BodyPool) {
    this.sentAt = new Float64Array(pool.bodies.length);
  }

  take(): Buffer {
    const index = this.next % this.pool.bodies.length;
    if (this.next >= this.pool.bodies.length) this.reused++;
    this.next++;
    // The pool may have grown since this cursor was made (after a warm-up): a write past the end of a typed array is lost.
    if (index >= this.sentAt.length) this.sentAt = growTimes(this.sentAt, this.pool.bodies.length);
    this.sentAt[index] = performance.now();
    return this.pool.bodies[index]!;
  }

  get used(): number {
    return this.next;
  }
}

/** A copy of `times` with room for `length` entries. */
export function growTimes(times: Float64Array, length: number): Float64Array<ArrayBuffer> {
  const bigger = new Float64Array(Math.max(length, times.length * 2));
  bigger.set(times);
  return bigger;
}

export interface LoadResult {
  seconds: number;
  /** 2xx answers per second. */
  rps: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  status: Record<string, number>;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
  /** A few non-2xx answers, to say why. */
  error_samples: string[];
}

/**
 * POSTs bodies from `cursor` over `connections` keep-alive connections for `seconds` with autocannon
 * (one request definition whose setupRequest takes the next pre-built body: every request is distinct,
 * and nothing is computed but the request head). Latency is autocannon's per-request time, kept in full.
 */
export async function runLoad(options: {
  /** Several URLs (e.g. the nodes of a cluster): connection i goes to url[i % url.length]. */
  url: string | string[];
  path: string;
  connections: number;
  seconds: number;
  cursor: RequestFeed;
  /** Sees every answer with its body (e.g. to learn which request it was for). */
  onAnswer?: (status: number, body: string) => void;
}): Promise<LoadResult> {
  const latencies = new Samples();
  const status: Record<string, number> = {};
  const errorSamples: string[] = [];
  let ok = 0;
  const started = performance.now();
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    pipelining: 1,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: options.path,
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => {
          const next = options.cursor.take();
          return Buffer.isBuffer(next) ? { ...request, body: next } : { ...request, body: next.body, headers: { ...request.headers, ...next.headers } };
        },
        onResponse: (code, body) => {
          if (code >= 300 && errorSamples.length < 3) errorSamples.push(`${code} ${body.slice(0, 200)}`);
          options.onAnswer?.(code, body);
        },
      },
    ],
    setupClient: (client) => {
      client.on('response', (code: number, _bytes: number, ms: number) => {
        status[code] = (status[code] ?? 0) + 1;
        if (code >= 200 && code < 300) {
          ok++;
          latencies.add(ms);
        }
      });
    },
  });
  const seconds = (performance.now() - started) / 1000;
  const [p50, p90, p99, max] = latencies.percentiles(50, 90, 99, 100);
  return {
    seconds: round(seconds),
    rps: round(ok / seconds, 0),
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    status,
    p50_ms: round(p50 ?? Number.NaN),
    p90_ms: round(p90 ?? Number.NaN),
    p99_ms: round(p99 ?? Number.NaN),
    max_ms: round(max ?? Number.NaN),
    error_samples: errorSamples,
  };
}
