/** What every AnalyticsStore driver must do, single-node and with two nodes on one database. */
import { expect, test } from 'vitest';
import { METRICS, type AnalyticsBatch, type AnalyticsStore, type CounterDelta } from '../../src/features/analytics/analytics-store.js';
import type { SqlBackend } from './backends.js';

export const ANALYTICS_TABLES = ['analytics_counters', 'analytics_active_hashes', 'analytics_active_days', 'analytics_day_keys'];

const D1 = '2030-03-04';
const D2 = '2030-03-05';
const D3 = '2030-03-06';

const hash = (n: number) => Buffer.alloc(16, n);
/** Every `step`-th element of `items`, starting at `from` and wrapping around: each call a different order. */
const scrambled = <T>(items: readonly T[], from: number, step: number): T[] => items.map((_, i) => items[(from + i * step) % items.length] as T);
const key = (n: number) => Buffer.alloc(32, n);
const batch = (today: string, counters: CounterDelta[] = [], active: ReadonlyArray<[string, number]> = []): AnalyticsBatch => ({
  today,
  counters,
  activeUsers: active.map(([day, n]) => ({ day, hash: hash(n) })),
});

export function analyticsStoreContract(backend: () => SqlBackend<AnalyticsStore>): void {
  test('dayKey stores the first candidate of a day and answers it from then on', async () => {
    const store = await backend().node();
    expect(await store.dayKey(D1, key(1))).toEqual(key(1));
    expect(await store.dayKey(D1, key(2))).toEqual(key(1));
    expect(await store.dayKey(D1, key(4))).toEqual(key(1));
  });

  test('apply adds counters per day, hour and metric; hourly, daily and totals read them back', async () => {
    const store = await backend().node();
    await store.apply(
      batch(D2, [
        { day: D1, hour: 23, metric: 'messages', value: 2 },
        { day: D1, hour: 23, metric: 'message_bytes', value: 300 },
        { day: D2, hour: 0, metric: 'messages', value: 1 },
        { day: D2, hour: 0, metric: 'messages', value: 4 }, // the same slot twice adds up
      ]),
    );
    await store.apply(
      batch(D2, [
        { day: D2, hour: 5, metric: 'groups_created', value: 1 },
        { day: D2, hour: 0, metric: 'messages', value: 10 },
        { day: D3, hour: 1, metric: 'attachment_bytes', value: 2 ** 40 },
      ]),
    );
    expect(await store.hourly(D1, D2)).toEqual([
      { day: D1, hour: 23, counters: { messages: 2, message_bytes: 300 } },
      { day: D2, hour: 0, counters: { messages: 15 } },
      { day: D2, hour: 5, counters: { groups_created: 1 } },
    ]);
    expect(await store.daily(D1, D3)).toEqual([
      { day: D1, counters: { messages: 2, message_bytes: 300 }, active_users: 0 },
      { day: D2, counters: { messages: 15, groups_created: 1 }, active_users: 0 },
      { day: D3, counters: { attachment_bytes: 2 ** 40 }, active_users: 0 },
    ]);
    expect(await store.daily(D2, D2)).toHaveLength(1);
    expect(await store.totals()).toEqual({ counters: { messages: 17, message_bytes: 300, groups_created: 1, attachment_bytes: 2 ** 40 }, firstDay: D1 });
  });

  test('an empty store: no days, no hours, no totals', async () => {
    const store = await backend().node();
    expect(await store.daily(D1, D3)).toEqual([]);
    expect(await store.hourly(D1, D3)).toEqual([]);
    expect(await store.totals()).toEqual({ counters: {}, firstDay: undefined });
  });

  test('a user counts once a day; a past day keeps only its count, losing its hashes and its key', async () => {
    const store = await backend().node();
    await store.dayKey(D1, key(1));
    await store.apply(
      batch(
        D1,
        [],
        [
          [D1, 1],
          [D1, 2],
          [D1, 1],
        ],
      ),
    );
    await store.apply(
      batch(
        D1,
        [],
        [
          [D1, 2],
          [D1, 3],
        ],
      ),
    );
    expect(await store.daily(D1, D1)).toEqual([{ day: D1, counters: {}, active_users: 3 }]);
    expect(await backend().rows('analytics_active_hashes')).toBe(3);

    // The day changes: D1 is folded into its count.
    await store.dayKey(D2, key(2));
    await store.apply(batch(D2, [], [[D2, 1]]));
    expect(await backend().rows('analytics_active_hashes')).toBe(1);
    expect(await backend().select('SELECT day FROM analytics_day_keys')).toEqual([{ day: D2 }]);
    expect(await store.daily(D1, D2)).toEqual([
      { day: D1, counters: {}, active_users: 3 },
      { day: D2, counters: {}, active_users: 1 },
    ]);
    // Hashes of a past day that arrive late are folded at once and add to its count.
    await store.apply(batch(D2, [], [[D1, 9]]));
    expect(await store.daily(D1, D1)).toEqual([{ day: D1, counters: {}, active_users: 4 }]);
    expect(await backend().rows('analytics_active_hashes')).toBe(1);
  });

  test('dayKey of a new day folds the days before it', async () => {
    const store = await backend().node();
    await store.dayKey(D1, key(1));
    await store.apply(batch(D1, [], [[D1, 1]]));
    expect(await store.dayKey(D3, key(3))).toEqual(key(3));
    expect(await backend().rows('analytics_active_hashes')).toBe(0);
    expect(await backend().rows('analytics_day_keys')).toBe(1);
    expect(await store.daily(D1, D3)).toEqual([{ day: D1, counters: {}, active_users: 1 }]);
  });

  test('two nodes flushing at once: every count adds up, a user counts once a day, a past day is folded once', async () => {
    const nodes = [await backend().node(), await backend().node()];
    const on = (i: number) => nodes[i % 2] as AnalyticsStore;
    const keys = await Promise.all(Array.from({ length: 10 }, (_, i) => on(i).dayKey(D1, key(i + 1))));
    expect(new Set(keys.map((k) => k.toString('hex'))).size).toBe(1);

    const slot = (value: number): CounterDelta[] => [
      { day: D1, hour: 7, metric: 'messages', value: 1 },
      { day: D1, hour: 7, metric: 'message_bytes', value },
    ];
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        on(i).apply(
          batch(D1, slot(i), [
            [D1, i % 5],
            [D1, (i + 1) % 5],
          ]),
        ),
      ),
    );
    expect(await on(0).daily(D1, D1)).toEqual([{ day: D1, counters: { messages: 40, message_bytes: 780 }, active_users: 5 }]);

    // Every node notices the new day at once.
    await Promise.all(Array.from({ length: 20 }, (_, i) => on(i).apply(batch(D2, slot(1), [[D2, i % 3]]))));
    expect(await on(1).daily(D1, D2)).toEqual([
      { day: D1, counters: { messages: 60, message_bytes: 800 }, active_users: 5 },
      { day: D2, counters: {}, active_users: 3 },
    ]);
  });

  test('two nodes flushing many slots and users in different orders at once never deadlock', async () => {
    const nodes = [await backend().node(), await backend().node()];
    const slots = Array.from({ length: 24 }, (_, hour) => METRICS.map((metric): CounterDelta => ({ day: D1, hour, metric, value: 1 }))).flat();
    const users = Array.from({ length: 50 }, (_, n): [string, number] => [D1, n]);
    const steps = [7, 11, 13, 17, 19, 23, 29, 31]; // coprime with 240 and 50: each element once
    // Different subsets in different orders (as flushes of nodes are): rows locked in conflicting orders.
    const batches = Array.from({ length: 40 }, (_, i) =>
      batch(D1, scrambled(slots, i * 5, steps[i % 8]!).slice(0, 160), scrambled(users, i, steps[(i + 3) % 8]!)),
    );
    await Promise.all(batches.map((b, i) => (nodes[i % 2] as AnalyticsStore).apply(b)));
    const [day] = await (nodes[0] as AnalyticsStore).daily(D1, D1);
    expect(day?.counters.messages).toBe(batches.flatMap((b) => b.counters).filter((c) => c.metric === 'messages').length);
    expect(day?.active_users).toBe(50);
  });
}
