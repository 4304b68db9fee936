import type { Counters, DayCounters, HourCounters, Metric } from '../features/analytics/index.js';

/** A row of analytics_counters as both SQL drivers select it. */
export interface CounterRow {
  day: string;
  hour: number;
  metric: Metric;
  value: number;
}

/** Days ascending, from per-day sums of the counters and active-user counts (a day may have several). */
export function toDaily(sums: ReadonlyArray<Omit<CounterRow, 'hour'>>, active: ReadonlyArray<{ day: string; users: number }>): DayCounters[] {
  const days = new Map<string, DayCounters>();
  const entry = (day: string) => days.get(day) ?? days.set(day, { day, counters: {}, active_users: 0 }).get(day)!;
  for (const row of sums) entry(row.day).counters[row.metric] = row.value;
  for (const row of active) entry(row.day).active_users += row.users;
  return [...days.values()].sort((a, b) => a.day.localeCompare(b.day));
}

/** Hours from counter rows ordered by day and hour. */
export function toHourly(rows: readonly CounterRow[]): HourCounters[] {
  const hours: HourCounters[] = [];
  for (const row of rows) {
    const last = hours.at(-1);
    if (last?.day === row.day && last.hour === row.hour) last.counters[row.metric] = row.value;
    else hours.push({ day: row.day, hour: row.hour, counters: { [row.metric]: row.value } });
  }
  return hours;
}

export function toTotals(sums: ReadonlyArray<Omit<CounterRow, 'day' | 'hour'>>, firstDay: string | null | undefined) {
  const counters: Counters = {};
  for (const row of sums) counters[row.metric] = row.value;
  return { counters, firstDay: firstDay ?? undefined };
}
