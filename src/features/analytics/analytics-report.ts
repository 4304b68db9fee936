import { badRequest } from '../../core/errors.js';
import { dayOf, type Analytics } from './analytics.js';
import { METRICS, type Counters, type Day, type Metric } from './analytics-store.js';

const DAY_MS = 86_400_000;
const DAY_FORMAT = /^\d{4}-\d{2}-\d{2}$/;
export const DEFAULT_RANGE_DAYS = 30;
export const MAX_RANGE_DAYS = 366;

export type DailyRow = { date: Day; active_users: number } & Record<Metric, number>;
export type HourlyRow = { date: Day; hour: number } & Record<Metric, number>;

const addDays = (day: Day, n: number): Day => new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
const daysBetween = (from: Day, to: Day) => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);

function parseDay(value: string, name: string): Day {
  // Date.parse accepts 2024-02-30 (as March 1st): a day must print back as itself.
  if (!DAY_FORMAT.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)) || addDays(value, 0) !== value) {
    throw badRequest('INVALID_DATE', `${name} must be a date as YYYY-MM-DD`);
  }
  return value;
}

/** `from`/`to` (inclusive, UTC days); by default the last 30 days up to today. */
export function dayRange(query: { from?: string | undefined; to?: string | undefined }, nowSeconds: number): { from: Day; to: Day } {
  const to = query.to === undefined ? dayOf(nowSeconds) : parseDay(query.to, 'to');
  const from = query.from === undefined ? addDays(to, 1 - DEFAULT_RANGE_DAYS) : parseDay(query.from, 'from');
  if (from > to) throw badRequest('INVALID_RANGE', 'from must not be after to');
  if (daysBetween(from, to) >= MAX_RANGE_DAYS) throw badRequest('INVALID_RANGE', `at most ${MAX_RANGE_DAYS} days at once`);
  return { from, to };
}

/** The named counters of a row. */
export const pick = <K extends Metric>(row: Record<Metric, number>, metrics: readonly K[]) =>
  Object.fromEntries(metrics.map((m) => [m, row[m]])) as Record<K, number>;

const filled = (counters: Counters) => Object.fromEntries(METRICS.map((m) => [m, counters[m] ?? 0])) as Record<Metric, number>;

/** One row per day of the range, days without traffic as zeros. */
export async function dailyRows(analytics: Analytics, from: Day, to: Day): Promise<DailyRow[]> {
  await analytics.flush();
  const byDay = new Map((await analytics.store.daily(from, to)).map((d) => [d.day, d]));
  const rows: DailyRow[] = [];
  for (let day = from; day <= to; day = addDays(day, 1)) {
    const found = byDay.get(day);
    rows.push({ date: day, ...filled(found?.counters ?? {}), active_users: found?.active_users ?? 0 });
  }
  return rows;
}

/** Hours of the range that saw any traffic. */
export async function hourlyRows(analytics: Analytics, from: Day, to: Day): Promise<HourlyRow[]> {
  await analytics.flush();
  return (await analytics.store.hourly(from, to)).map((h) => ({ date: h.day, hour: h.hour, ...filled(h.counters) }));
}

export interface Overview {
  total_messages: number;
  active_users: number;
  groups_count: number;
  avg_messages_per_day: number;
  analytics_enabled: boolean;
}

/**
 * The original /api/stats/overview: messages (direct and group) ever counted, users active today,
 * existing groups, and messages per day since the first counted day.
 */
export async function overview(analytics: Analytics, groupsCount: number, nowSeconds: number): Promise<Overview> {
  await analytics.flush();
  const today = dayOf(nowSeconds);
  const { counters, firstDay } = await analytics.store.totals();
  const [todayRow] = await analytics.store.daily(today, today);
  const total = (counters.messages ?? 0) + (counters.group_messages ?? 0);
  const days = firstDay === undefined ? 1 : Math.max(1, daysBetween(firstDay, today) + 1);
  return {
    total_messages: total,
    active_users: todayRow?.active_users ?? 0,
    groups_count: groupsCount,
    avg_messages_per_day: Math.round((total / days) * 100) / 100,
    analytics_enabled: analytics.enabled,
  };
}

export const CSV_COLUMNS = ['date', ...METRICS, 'active_users'] as const;

/** Daily rows as CSV (RFC 4180 line ends); every cell is a date or a number, so nothing needs quoting. */
export function toCsv(rows: readonly DailyRow[]): string {
  const lines = [CSV_COLUMNS.join(','), ...rows.map((row) => CSV_COLUMNS.map((c) => String(row[c])).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}
