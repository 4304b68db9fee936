import type { AnalyticsBatch, AnalyticsStore, Day } from '../../features/analytics/index.js';
import { toDaily, toHourly, toTotals, type CounterRow } from '../analytics-rows.js';
import { LockSpace, lockUntilCommit } from './advisory-locks.js';
import type { PgDatabase, PgQueryable } from './pg-database.js';

const insertKeySql = 'INSERT INTO analytics_day_keys (day, key) VALUES ($1, $2) ON CONFLICT (day) DO NOTHING';

/**
 * Analytics counters on PostgreSQL. Every write (a node's flush, a day's key) runs in a transaction
 * under one advisory lock, as the embedded database has one writer: a past day's hashes are counted
 * once, however many nodes fold at once, and nodes never deadlock on each other's counter rows.
 * Nodes flush about once a minute, so they hardly ever wait.
 */
export function createPgAnalyticsStore(db: PgDatabase): AnalyticsStore {
  const write = <T>(work: (tx: PgQueryable) => Promise<T>) =>
    db.transaction(async (tx) => {
      await lockUntilCommit(tx, LockSpace.analytics, 'writes');
      return work(tx);
    });

  // Past days keep only how many distinct hashes they had; their hashes and key are deleted.
  const foldPastDays = (tx: PgQueryable, today: Day) =>
    tx.query(
      `WITH keys AS (DELETE FROM analytics_day_keys WHERE day < $1),
            hashes AS (DELETE FROM analytics_active_hashes WHERE day < $1 RETURNING day)
       INSERT INTO analytics_active_days (day, users) SELECT day, count(*) FROM hashes GROUP BY day
       ON CONFLICT (day) DO UPDATE SET users = analytics_active_days.users + excluded.users`,
      [today],
    );

  const applyIn = async (tx: PgQueryable, batch: AnalyticsBatch) => {
    // One statement each; a slot given twice in a batch adds up, as upserting row by row would.
    const { counters: c, activeUsers: active } = batch;
    await tx.query(
      `INSERT INTO analytics_counters (day, hour, metric, value)
       SELECT day, hour, metric, sum(value) FROM unnest($1::text[], $2::integer[], $3::text[], $4::bigint[]) AS d (day, hour, metric, value)
       GROUP BY day, hour, metric
       ON CONFLICT (day, hour, metric) DO UPDATE SET value = analytics_counters.value + excluded.value`,
      [c.map((d) => d.day), c.map((d) => d.hour), c.map((d) => d.metric), c.map((d) => d.value)],
    );
    await tx.query('INSERT INTO analytics_active_hashes (day, hash) SELECT * FROM unnest($1::text[], $2::bytea[]) ON CONFLICT DO NOTHING', [
      active.map((a) => a.day),
      active.map((a) => a.hash),
    ]);
    await foldPastDays(tx, batch.today);
  };

  return {
    dayKey: (day, candidate) =>
      write(async (tx) => {
        await foldPastDays(tx, day);
        await tx.query(insertKeySql, [day, candidate]);
        const [row] = await tx.query<{ key: Buffer }>('SELECT key FROM analytics_day_keys WHERE day = $1', [day]);
        return row!.key; // inserted just above unless it was there already
      }),
    apply: (batch) => write((tx) => applyIn(tx, batch)),
    async daily(from, to) {
      const sums = await db.query<Omit<CounterRow, 'hour'>>(
        'SELECT day, metric, sum(value)::bigint AS value FROM analytics_counters WHERE day BETWEEN $1 AND $2 GROUP BY day, metric',
        [from, to],
      );
      // One statement, so a fold on another node cannot make a day's users count twice or not at all.
      const active = await db.query<{ day: string; users: number }>(
        `SELECT day, users FROM analytics_active_days WHERE day BETWEEN $1 AND $2
         UNION ALL
         SELECT day, count(*) AS users FROM analytics_active_hashes WHERE day BETWEEN $1 AND $2 GROUP BY day`,
        [from, to],
      );
      return toDaily(sums, active);
    },
    hourly: async (from, to) =>
      toHourly(
        await db.query<CounterRow>('SELECT day, hour, metric, value FROM analytics_counters WHERE day BETWEEN $1 AND $2 ORDER BY day, hour', [from, to]),
      ),
    async totals() {
      const sums = await db.query<Omit<CounterRow, 'day' | 'hour'>>('SELECT metric, sum(value)::bigint AS value FROM analytics_counters GROUP BY metric');
      const [first] = await db.query<{ day: string | null }>('SELECT min(day) AS day FROM analytics_counters');
      return toTotals(sums, first?.day);
    },
  };
}
