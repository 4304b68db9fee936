/** Every counter analytics keeps, per UTC day and hour. Nothing else is stored (see docs/admin.md). */
export const METRICS = [
  'messages',
  'message_bytes',
  'group_messages',
  'group_message_bytes',
  'attachments',
  'attachment_bytes',
  'group_attachments',
  'group_attachment_bytes',
  'groups_created',
  'groups_deleted',
] as const;
export type Metric = (typeof METRICS)[number];
export type Counters = Partial<Record<Metric, number>>;

/** A UTC day as `YYYY-MM-DD`. */
export type Day = string;

export interface CounterDelta {
  day: Day;
  /** 0-23, UTC. */
  hour: number;
  metric: Metric;
  value: number;
}

/** What one flush writes, in one transaction. */
export interface AnalyticsBatch {
  /** The current day: active-user hashes and keys of earlier days are replaced by their counts. */
  today: Day;
  counters: CounterDelta[];
  /** Keyed hashes of users active on `day` (HMAC-SHA256 under that day's key, truncated). */
  activeUsers: Array<{ day: Day; hash: Buffer }>;
}

export interface DayCounters {
  day: Day;
  counters: Counters;
  active_users: number;
}

export interface HourCounters {
  day: Day;
  hour: number;
  counters: Counters;
}

/**
 * Durable aggregate counters. Holds no public key, no sender/recipient pair and no per-message row:
 * only sums per hour, today's keyed hashes of active users and today's hash key.
 */
export interface AnalyticsStore {
  /** The hash key of `day`: the stored one, else `candidate`, stored now. */
  dayKey(day: Day, candidate: Buffer): Promise<Buffer>;
  apply(batch: AnalyticsBatch): Promise<void>;
  /** Days in [from, to] that have any counter or active user, ascending. */
  daily(from: Day, to: Day): Promise<DayCounters[]>;
  /** Hours in [from, to] that have any counter, ascending. */
  hourly(from: Day, to: Day): Promise<HourCounters[]>;
  /** Sums over all days, and the first day with any counter. */
  totals(): Promise<{ counters: Counters; firstDay: Day | undefined }>;
}
