import type { AnalyticsStore } from '../../features/analytics/index.js';
import { toDaily, toHourly, toTotals, type CounterRow } from '../analytics-rows.js';
import type { SqliteDatabase } from './sqlite-database.js';
import type { SqliteWriteBatcher } from './write-batcher.js';

/** Analytics counters in the embedded database (the analytics_* tables of its migration). */
export function createSqliteAnalyticsStore(db: SqliteDatabase, writes: SqliteWriteBatcher): AnalyticsStore {
  const upsertCounter = db.prepare<CounterRow>(
    `INSERT INTO analytics_counters (day, hour, metric, value) VALUES (@day, @hour, @metric, @value)
     ON CONFLICT (day, hour, metric) DO UPDATE SET value = value + excluded.value`,
  );
  const insertHash = db.prepare<[string, Buffer]>('INSERT OR IGNORE INTO analytics_active_hashes (day, hash) VALUES (?, ?)');
  const insertKey = db.prepare<[string, Buffer]>('INSERT OR IGNORE INTO analytics_day_keys (day, key) VALUES (?, ?)');
  const selectKey = db.prepare<[string], { key: Buffer }>('SELECT key FROM analytics_day_keys WHERE day = ?');
  // Past days keep only how many distinct hashes they had; their hashes and key are deleted.
  const countPastDays = db.prepare<[string]>(
    `INSERT INTO analytics_active_days (day, users)
     SELECT day, COUNT(*) FROM analytics_active_hashes WHERE day < ? GROUP BY day
     ON CONFLICT (day) DO UPDATE SET users = users + excluded.users`,
  );
  const dropPastHashes = db.prepare<[string]>('DELETE FROM analytics_active_hashes WHERE day < ?');
  const dropPastKeys = db.prepare<[string]>('DELETE FROM analytics_day_keys WHERE day < ?');

  const selectDaily = db.prepare<[string, string], Omit<CounterRow, 'hour'>>(
    'SELECT day, metric, SUM(value) AS value FROM analytics_counters WHERE day BETWEEN ? AND ? GROUP BY day, metric',
  );
  const selectActive = db.prepare<[string, string, string, string], { day: string; users: number }>(
    `SELECT day, users FROM analytics_active_days WHERE day BETWEEN ? AND ?
     UNION ALL
     SELECT day, COUNT(*) AS users FROM analytics_active_hashes WHERE day BETWEEN ? AND ? GROUP BY day`,
  );
  const selectHourly = db.prepare<[string, string], CounterRow>(
    'SELECT day, hour, metric, value FROM analytics_counters WHERE day BETWEEN ? AND ? ORDER BY day, hour',
  );
  const selectTotals = db.prepare<[], Omit<CounterRow, 'day' | 'hour'>>('SELECT metric, SUM(value) AS value FROM analytics_counters GROUP BY metric');
  const selectFirstDay = db.prepare<[], { day: string | null }>('SELECT MIN(day) AS day FROM analytics_counters');

  const foldPastDays = (today: string) => {
    countPastDays.run(today);
    dropPastHashes.run(today);
    dropPastKeys.run(today);
  };

  return {
    dayKey: (day, candidate) =>
      writes.run(() => {
        foldPastDays(day);
        insertKey.run(day, candidate);
        return selectKey.get(day)!.key;
      }),
    apply: (batch) =>
      writes.run(() => {
        for (const delta of batch.counters) upsertCounter.run(delta);
        for (const { day, hash } of batch.activeUsers) insertHash.run(day, hash);
        foldPastDays(batch.today);
      }),
    daily: async (from, to) => toDaily(selectDaily.all(from, to), selectActive.all(from, to, from, to)),
    hourly: async (from, to) => toHourly(selectHourly.all(from, to)),
    totals: async () => toTotals(selectTotals.all(), selectFirstDay.get()?.day),
  };
}
