import { createHmac, randomBytes } from 'node:crypto';
import type { AnalyticsBatch, AnalyticsStore, CounterDelta, Day, Metric } from './analytics-store.js';

/** What features report. Calls are synchronous and only touch memory; counts reach the store on flush. */
export interface AnalyticsRecorder {
  /** A direct message queued (not a replay): the key that signed it (verified) and its ciphertext size. */
  directMessage(senderKey: string, bytes: number): void;
  /** A group message stored: its sender as authenticated (the bearer token's key in strict mode). */
  groupMessage(senderKey: string, bytes: number): void;
  attachment(bytes: number): void;
  groupAttachment(bytes: number): void;
  groupCreated(): void;
  groupDeleted(): void;
}

/** The recorder when analytics is off: nothing is counted, hashed or written. */
export const NO_ANALYTICS: AnalyticsRecorder = {
  directMessage() {},
  groupMessage() {},
  attachment() {},
  groupAttachment() {},
  groupCreated() {},
  groupDeleted() {},
};

export interface Analytics extends AnalyticsRecorder {
  readonly enabled: boolean;
  readonly store: AnalyticsStore;
  /** Writes what was counted since the last flush (stats readers call it first, so figures are exact). */
  flush(): Promise<void>;
  /** Stops the timer and flushes. */
  close(): Promise<void>;
}

export interface AnalyticsOptions {
  enabled: boolean;
  store: AnalyticsStore;
  /** Unix seconds. */
  now: () => number;
  flushIntervalMs: number;
  onError: (err: unknown) => void;
}

const HASH_BYTES = 16;
const KEY_BYTES = 32;

export const dayOf = (seconds: number): Day => new Date(seconds * 1000).toISOString().slice(0, 10);

export async function createAnalytics(options: AnalyticsOptions): Promise<Analytics> {
  if (!options.enabled) {
    return { ...NO_ANALYTICS, enabled: false, store: options.store, flush: async () => {}, close: async () => {} };
  }
  const today = dayOf(options.now());
  const key = await options.store.dayKey(today, randomBytes(KEY_BYTES));
  const collector = new Collector(options, today, key);
  await collector.flush(); // folds active users of days the server was down over into their counts
  return collector;
}

/**
 * Counts in memory and flushes periodically. Active users are HMAC-SHA256(day key, user key): the
 * key is random per UTC day, so a hash links nothing across days, and once the day is over only
 * the number of hashes is kept (the store drops the hashes and the key).
 */
class Collector implements Analytics {
  readonly enabled = true;
  /** `day hour metric` -> amount not yet written. */
  private counters = new Map<string, number>();
  private active = new Map<string, Buffer>();
  /** Users seen since the day changed, until the day's shared key is known (memory only, never written). */
  private unkeyed: Set<string> | undefined;
  /** The day key being fetched: a flush waits for it, so the users waiting for it are written too. */
  private keyFetch: Promise<void> = Promise.resolve();
  private flushedDay: Day | undefined;
  /** Flushes run one after another: a reader's flush also waits for the one already writing. */
  private flushing: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  /** The current UTC hour, recomputed only when the clock leaves it (the send path stays cheap). */
  private hour = { start: 0, end: 0, day: '', prefix: '' };

  constructor(
    private readonly options: AnalyticsOptions,
    private keyDay: Day,
    private key: Buffer,
  ) {
    this.timer = setInterval(() => this.flush().catch(options.onError), options.flushIntervalMs);
    this.timer.unref();
  }

  get store(): AnalyticsStore {
    return this.options.store;
  }

  directMessage(senderKey: string, bytes: number): void {
    this.user(senderKey);
    this.add('messages', 1);
    this.add('message_bytes', bytes);
  }

  groupMessage(senderKey: string, bytes: number): void {
    this.user(senderKey);
    this.add('group_messages', 1);
    this.add('group_message_bytes', bytes);
  }

  attachment(bytes: number): void {
    this.add('attachments', 1);
    this.add('attachment_bytes', bytes);
  }

  groupAttachment(bytes: number): void {
    this.add('group_attachments', 1);
    this.add('group_attachment_bytes', bytes);
  }

  groupCreated(): void {
    this.add('groups_created', 1);
  }

  groupDeleted(): void {
    this.add('groups_deleted', 1);
  }

  private currentHour(): { day: Day; prefix: string } {
    const now = this.options.now();
    if (now < this.hour.start || now >= this.hour.end) {
      const start = Math.floor(now / 3600) * 3600;
      const at = new Date(start * 1000);
      const day = dayOf(start);
      this.hour = { start, end: start + 3600, day, prefix: `${day} ${at.getUTCHours()} ` };
    }
    return this.hour;
  }

  private add(metric: Metric, value: number): void {
    const slot = this.currentHour().prefix + metric;
    this.counters.set(slot, (this.counters.get(slot) ?? 0) + value);
  }

  private user(userKey: string): void {
    const { day } = this.currentHour();
    if (day !== this.keyDay) this.fetchKey(day);
    if (this.unkeyed !== undefined) this.unkeyed.add(userKey.toLowerCase());
    else this.hashUser(day, userKey.toLowerCase());
  }

  private hashUser(day: Day, userKey: string): void {
    const hash = createHmac('sha256', this.key).update(userKey).digest().subarray(0, HASH_BYTES);
    this.active.set(`${day} ${hash.toString('base64')}`, hash);
  }

  /**
   * A new day: every node must hash with the same key or a user active on two nodes counts twice, so
   * the key is the first one stored for the day (ours only if we are first). Until it arrives the
   * day's users wait in memory; if the store cannot answer, the next user asks again.
   */
  private fetchKey(day: Day): void {
    this.keyDay = day;
    this.unkeyed ??= new Set();
    this.keyFetch = this.options.store.dayKey(day, randomBytes(KEY_BYTES)).then(
      (key) => {
        if (this.keyDay !== day) return;
        this.key = key;
        const waiting = this.unkeyed ?? new Set<string>();
        this.unkeyed = undefined;
        for (const userKey of waiting) this.hashUser(day, userKey);
      },
      (err: unknown) => {
        if (this.keyDay === day) this.keyDay = '';
        this.options.onError(err);
      },
    );
  }

  flush(): Promise<void> {
    const run = this.flushing.then(() => this.write());
    this.flushing = run.catch(() => undefined);
    return run;
  }

  private async write(): Promise<void> {
    await this.keyFetch;
    const today = dayOf(this.options.now());
    if (this.counters.size === 0 && this.active.size === 0 && this.flushedDay === today) return;
    const [counters, active] = [this.counters, this.active];
    this.counters = new Map();
    this.active = new Map();
    const batch: AnalyticsBatch = {
      today,
      counters: [...counters].map(([slot, value]): CounterDelta => {
        const [day, hour, metric] = slot.split(' ') as [Day, string, Metric];
        return { day, hour: Number(hour), metric, value };
      }),
      activeUsers: [...active].map(([slot, hash]) => ({ day: slot.slice(0, 10), hash })),
    };
    try {
      await this.options.store.apply(batch);
      this.flushedDay = today;
    } catch (err) {
      // Keep the counts for the next flush rather than losing them.
      for (const [slot, value] of counters) this.counters.set(slot, (this.counters.get(slot) ?? 0) + value);
      for (const [slot, hash] of active) this.active.set(slot, hash);
      throw err;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
