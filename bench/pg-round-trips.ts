// PostgreSQL round trips of a server child (cluster node, or a Whispr server with BENCH_STORAGE=postgres).
import pg from 'pg';

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
 * Starts counting a measured window: the returned function answers the server's PostgreSQL round
 * trips since then per operation (`ops` of them), or null when the server does not count them.
 */
export async function pgTripsMeter(counters: () => Promise<Record<string, number>>): Promise<(ops: number) => Promise<number | null>> {
  const before = (await counters()).pg_round_trips;
  return async (ops) => {
    const after = (await counters()).pg_round_trips;
    return before === undefined || after === undefined || ops === 0 ? null : Math.round(((after - before) / ops) * 100) / 100;
  };
}
