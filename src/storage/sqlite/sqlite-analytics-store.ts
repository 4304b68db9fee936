import type { AnalyticsStore, Counters, DayCounters, HourCounters, Metric } from '../../features/analytics/analytics-store.js';
import type { SqliteDatabase } from './sqlite-database.js';
import type { SqliteWriteBatcher } from './write-batcher.js';

interface CounterRow {
  day: string;
  hour: number;
  metric: Metric;
  value: number;
}

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
  const selectHourly = db.prepare<[string, string], CounterRow>('SELECT day, hour, metric, value FROM analytics_counters WHERE day BETWEEN ? AND ? ORDER BY day, hour');
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
        if (batch.dayKey !== undefined) insertKey.run(batch.dayKey.day, batch.dayKey.key);
        for (const delta of batch.counters) upsertCounter.run(delta);
        for (const { day, hash } of batch.activeUsers) insertHash.run(day, hash);
        foldPastDays(batch.today);
      }),
    async daily(from, to) {
      const days = new Map<string, DayCounters>();
      const entry = (day: string) => days.get(day) ?? days.set(day, { day, counters: {}, active_users: 0 }).get(day)!;
      for (const row of selectDaily.all(from, to)) entry(row.day).counters[row.metric] = row.value;
      for (const row of selectActive.all(from, to, from, to)) entry(row.day).active_users += row.users;
      return [...days.values()].sort((a, b) => a.day.localeCompare(b.day));
    },
    async hourly(from, to) {
      const hours: HourCounters[] = [];
      for (const row of selectHourly.all(from, to)) {
        const last = hours.at(-1);
        if (last?.day === row.day && last.hour === row.hour) last.counters[row.metric] = row.value;
        else hours.push({ day: row.day, hour: row.hour, counters: { [row.metric]: row.value } });
      }
      return hours;
    },
    async totals() {
      const counters: Counters = {};
      for (const row of selectTotals.all()) counters[row.metric] = row.value;
      return { counters, firstDay: selectFirstDay.get()?.day ?? undefined };
    },
  };
}
