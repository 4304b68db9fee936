import type { Config } from '../src/config/settings.js';

/**
 * The per-key and per-address budgets and fair shares a bench load meets at once (it comes from one
 * address, as fast as it can): lifted, while their buckets and counts are still taken on every
 * request. And the metrics token the bench reads Whispr's queue figures with (they are not on the
 * public /health).
 */
export const BUDGETS_LIFTED: Partial<Config> = {
  max_group_writes_per_second: 1_000_000,
  group_joins_per_minute: 1_000_000,
  group_joins_per_ip_per_minute: 1_000_000,
  max_events_per_second: 1_000_000,
  account_messages_per_second: 1_000_000,
  max_pending_challenges_per_ip: 1_000_000,
  max_queued_per_sender: 1_000_000,
  max_queued_per_address: 1_000_000,
  metrics_token: process.env.BENCH_METRICS_TOKEN ?? '',
};
