// The analytics feature's public surface: code outside src/features/analytics imports only this file.
export { dailyRows, dayRange, hourlyRows, overview, pick, toCsv } from './analytics-report.js';
export type { AnalyticsBatch, AnalyticsStore, Counters, Day, DayCounters, HourCounters, Metric } from './analytics-store.js';
export { type Analytics, type AnalyticsRecorder, createAnalytics } from './analytics.js';
