/**
 * The recorder and the SQLite store with a controlled clock: hourly buckets, the daily key
 * rotation of the active-user hashes, folding past days into counts, restarts, flush failures.
 */
import { afterEach, beforeEach, expect, test } from 'vitest';
import { createAnalytics, type Analytics } from '../../src/features/analytics/analytics.js';
import type { AnalyticsStore } from '../../src/features/analytics/analytics-store.js';
import { dailyRows, dayRange, toCsv } from '../../src/features/analytics/analytics-report.js';
import { ApiError } from '../../src/core/errors.js';
import { openSqliteDatabase, type SqliteDatabase } from '../../src/storage/sqlite/sqlite-database.js';
import { createSqliteAnalyticsStore } from '../../src/storage/sqlite/sqlite-analytics-store.js';
import { SqliteWriteBatcher } from '../../src/storage/sqlite/write-batcher.js';

const DAY1 = Date.parse('2030-03-04T10:15:00Z') / 1000;
const DAY2 = Date.parse('2030-03-05T00:00:01Z') / 1000;
const ALICE = 'a'.repeat(64);
const BOB = 'b'.repeat(64);

let db: SqliteDatabase;
let store: AnalyticsStore;
let clock = DAY1;
const open: Analytics[] = [];

async function recorder(): Promise<Analytics> {
  const analytics = await createAnalytics({
    enabled: true,
    store,
    now: () => clock,
    flushIntervalMs: 60_000,
    onError: (err) => {
      throw err;
    },
  });
  open.push(analytics);
  return analytics;
}
const rows = (sql: string) => db.prepare(sql).all() as Array<Record<string, unknown>>;

beforeEach(() => {
  clock = DAY1;
  db = openSqliteDatabase(':memory:');
  store = createSqliteAnalyticsStore(db, new SqliteWriteBatcher(db));
});
afterEach(async () => {
  for (const a of open.splice(0)) await a.close();
  db.close();
});

test('counts per UTC hour; the same user counts once a day', async () => {
  const a = await recorder();
  a.directMessage(ALICE, 100);
  a.directMessage(ALICE, 50);
  clock += 3600;
  a.directMessage(BOB, 10);
  a.groupMessage(ALICE, 5);
  await a.flush();
  expect(rows('SELECT day, hour, metric, value FROM analytics_counters ORDER BY hour, metric')).toEqual([
    { day: '2030-03-04', hour: 10, metric: 'message_bytes', value: 150 },
    { day: '2030-03-04', hour: 10, metric: 'messages', value: 2 },
    { day: '2030-03-04', hour: 11, metric: 'group_message_bytes', value: 5 },
    { day: '2030-03-04', hour: 11, metric: 'group_messages', value: 1 },
    { day: '2030-03-04', hour: 11, metric: 'message_bytes', value: 10 },
    { day: '2030-03-04', hour: 11, metric: 'messages', value: 1 },
  ]);
  expect(rows('SELECT COUNT(*) AS n FROM analytics_active_hashes')).toEqual([{ n: 2 }]);
  expect((await store.daily('2030-03-04', '2030-03-04'))[0]?.active_users).toBe(2);
});

test('at the next day the key rotates, yesterday keeps only its count, and hashes do not link the days', async () => {
  const a = await recorder();
  a.directMessage(ALICE, 1);
  a.directMessage(BOB, 1);
  await a.flush();
  const [day1Key] = rows('SELECT key FROM analytics_day_keys');
  const day1Hashes = rows('SELECT hash FROM analytics_active_hashes').map((r) => (r.hash as Buffer).toString('hex'));

  clock = DAY2;
  a.directMessage(ALICE, 1);
  await a.flush();
  expect(rows('SELECT day, users FROM analytics_active_days')).toEqual([{ day: '2030-03-04', users: 2 }]);
  const left = rows('SELECT day, hash FROM analytics_active_hashes');
  expect(left).toHaveLength(1);
  expect(left[0]!.day).toBe('2030-03-05');
  expect(day1Hashes).not.toContain((left[0]!.hash as Buffer).toString('hex'));
  const keys = rows('SELECT day, key FROM analytics_day_keys');
  expect(keys).toEqual([{ day: '2030-03-05', key: expect.any(Buffer) }]);
  expect((keys[0]!.key as Buffer).equals(day1Key!.key as Buffer)).toBe(false);
  expect((await store.daily('2030-03-04', '2030-03-05')).map((d) => [d.day, d.active_users])).toEqual([
    ['2030-03-04', 2],
    ['2030-03-05', 1],
  ]);
});

test('a restart on the same day reuses the day key (no double count); a restart days later folds the old day', async () => {
  const first = await recorder();
  first.directMessage(ALICE, 1);
  await first.close();
  const second = await recorder();
  second.directMessage(ALICE, 1);
  second.directMessage(BOB, 1);
  await second.close();
  expect((await store.daily('2030-03-04', '2030-03-04'))[0]?.active_users).toBe(2);

  clock = DAY2 + 3 * 86_400;
  await recorder();
  expect(rows('SELECT COUNT(*) AS n FROM analytics_active_hashes')).toEqual([{ n: 0 }]);
  expect(rows('SELECT day FROM analytics_day_keys')).toEqual([{ day: '2030-03-08' }]);
  expect(rows('SELECT day, users FROM analytics_active_days')).toEqual([{ day: '2030-03-04', users: 2 }]);
});

test('a failed flush keeps the counts for the next one', async () => {
  const a = await recorder();
  const realApply = store.apply;
  let failures = 1;
  store.apply = async (batch) => {
    if (failures-- > 0) throw new Error('disk full');
    return realApply(batch);
  };
  a.attachment(10);
  a.groupCreated();
  a.directMessage(ALICE, 3);
  await expect(a.flush()).rejects.toThrow('disk full');
  a.attachment(5);
  await a.flush();
  const [day] = await store.daily('2030-03-04', '2030-03-04');
  expect(day).toEqual({
    day: '2030-03-04',
    counters: { attachments: 2, attachment_bytes: 15, groups_created: 1, messages: 1, message_bytes: 3 },
    active_users: 1,
  });
});

test('a reader flushing while another flush is writing still sees every count', async () => {
  const a = await recorder();
  a.directMessage(ALICE, 1);
  a.directMessage(BOB, 1);
  const [, rows] = await Promise.all([a.flush(), dailyRows(a, '2030-03-04', '2030-03-04'), a.flush()]);
  expect(rows.map((r) => [r.messages, r.active_users])).toEqual([[2, 2]]);
});

test('disabled: nothing is stored, not even a key', async () => {
  const off = await createAnalytics({ enabled: false, store, now: () => clock, flushIntervalMs: 10, onError: () => undefined });
  off.directMessage(ALICE, 1);
  off.groupCreated();
  await off.close();
  for (const table of ['analytics_counters', 'analytics_active_hashes', 'analytics_active_days', 'analytics_day_keys']) {
    expect(rows(`SELECT COUNT(*) AS n FROM ${table}`), table).toEqual([{ n: 0 }]);
  }
});

test('daily rows are zero-filled and CSV has one line per day', async () => {
  const a = await recorder();
  a.directMessage(ALICE, 40);
  const rowsOut = await dailyRows(a, '2030-03-03', '2030-03-05');
  expect(rowsOut.map((r) => [r.date, r.messages, r.active_users])).toEqual([
    ['2030-03-03', 0, 0],
    ['2030-03-04', 1, 1],
    ['2030-03-05', 0, 0],
  ]);
  expect(toCsv(rowsOut).split('\r\n')).toEqual([
    'date,messages,message_bytes,group_messages,group_message_bytes,attachments,attachment_bytes,group_attachments,group_attachment_bytes,groups_created,groups_deleted,active_users',
    '2030-03-03,0,0,0,0,0,0,0,0,0,0,0',
    '2030-03-04,1,40,0,0,0,0,0,0,0,0,1',
    '2030-03-05,0,0,0,0,0,0,0,0,0,0,0',
    '',
  ]);
});

test('date ranges: defaults, impossible dates, reversed and too long ranges', () => {
  expect(dayRange({}, DAY1)).toEqual({ from: '2030-02-03', to: '2030-03-04' });
  expect(dayRange({ from: '2030-01-01' }, DAY1)).toEqual({ from: '2030-01-01', to: '2030-03-04' });
  for (const query of [{ from: '2030-02-30' }, { to: '2030-13-01' }, { from: '2030-03-05', to: '2030-03-04' }, { from: '2028-01-01', to: '2030-01-01' }]) {
    expect(() => dayRange(query, DAY1)).toThrow(ApiError);
  }
  expect(dayRange({ from: '2029-03-05', to: '2030-03-05' }, DAY1)).toEqual({ from: '2029-03-05', to: '2030-03-05' });
});

test('two nodes that cross midnight hash with the same day key, so a user active on both counts once', async () => {
  const nodeA = await recorder();
  const nodeB = await recorder();
  clock = DAY2;
  nodeA.directMessage(ALICE, 1);
  nodeB.directMessage(ALICE, 1);
  nodeB.directMessage(BOB, 1);
  await Promise.all([nodeA.flush(), nodeB.flush()]);
  expect(rows("SELECT COUNT(*) AS n FROM analytics_day_keys WHERE day = '2030-03-05'")).toEqual([{ n: 1 }]);
  expect((await store.daily('2030-03-05', '2030-03-05'))[0]?.active_users).toBe(2);
});
