// PostgreSQL costs of a server child (cluster node, or a Whispr server on PostgreSQL): round trips, backend CPU.
import pg from 'pg';
import { pgBackendCpu } from './cluster-meter.js';
import type { BenchSchema } from './pg-bench-schema.js';
import { round } from './stats.js';

/** Counts every statement this process sends PostgreSQL (a pool's query goes through a client's): its round trips. */
export function countPgRoundTrips(): () => Record<string, number> {
  let trips = 0;
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    trips += 1;
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  return () => ({ pg_round_trips: trips });
}

/**
 * What a server on its own bench schema costs PostgreSQL, as running totals: its round trips, and the
 * CPU (us) of the backends of its connections (named after the schema), each reading adding what every
 * backend used since the last (a backend first seen counts whole). The reading's own query is not counted.
 */
export function countPgCosts(schema: BenchSchema): () => Promise<Record<string, number>> {
  const trips = countPgRoundTrips();
  const last = new Map<number, number>();
  let cpuSeconds = 0;
  let readings = 0;
  return async () => {
    const now = await pgBackendCpu(schema.sql, [schema.name]);
    readings += 1;
    for (const [pid, { seconds }] of now) {
      cpuSeconds += seconds - (last.get(pid) ?? 0);
      last.set(pid, seconds);
    }
    return { pg_round_trips: (trips().pg_round_trips ?? 0) - readings, pg_backend_cpu_us: Math.round(cpuSeconds * 1e6) };
  };
}

/** A run's PostgreSQL costs per accepted operation; null where the server does not count them (SQLite). */
export interface PgCosts {
  round_trips: number | null;
  backend_cpu_us: number | null;
}

/**
 * Starts counting a measured window: the returned function answers the server's PostgreSQL costs
 * since then per operation (`ops` of them).
 */
export async function pgCostMeter(counters: () => Promise<Record<string, number>>): Promise<(ops: number) => Promise<PgCosts>> {
  const before = await counters();
  return async (ops) => {
    const after = await counters();
    const per = (name: string, digits: number) => {
      const [a, b] = [before[name], after[name]];
      return a === undefined || b === undefined || ops === 0 ? null : round((b - a) / ops, digits);
    };
    return { round_trips: per('pg_round_trips', 2), backend_cpu_us: per('pg_backend_cpu_us', 0) };
  };
}
