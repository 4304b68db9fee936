import type { FullQueue, Origin, QueueCaps } from './fair-share.js';

/** One event in a user's durable queue. */
export interface QueuedEvent {
  recipientId: string;
  /** Per recipient, assigned by the server; only ever grows, also after the queue drains. */
  seq: number;
  /** Unique per recipient: a second append with the same id is a replay, not a new event. */
  eventId: string;
  /** The event as JSON text, stored as given. */
  body: string;
  /** Unix seconds. */
  createdAt: number;
  /** Unix seconds; null: never expires. */
  expiresAt: number | null;
}

export type NewEvent = Omit<QueuedEvent, 'seq'> & {
  /** Who queued it, for the sender's and the address's share of the queue; null: the server itself. */
  origin: Origin | null;
};

export type AppendResult = { status: 'queued'; event: QueuedEvent } | { status: 'duplicate'; event: QueuedEvent } | { status: 'full'; cap: FullQueue };

/**
 * Durable per-user FIFO queues shared by the account dialects: chat-app events (removed on the
 * client's ACK) and private-comm pending messages (removed once a socket wrote them).
 */
export interface UserQueueStore {
  /** Refuses an event over a cap (see QueueCaps); answers a known event id with the stored event. */
  append(event: NewEvent, caps: QueueCaps): Promise<AppendResult>;
  /**
   * `append` of several events in one transaction, each into its own recipient's queue (the
   * recipients must all differ): the outcome of each, in order. A full queue refuses its own event only.
   */
  appendEach(events: readonly NewEvent[], caps: QueueCaps): Promise<AppendResult[]>;
  /** Unexpired events of a recipient with seq > afterSeq, in seq order. */
  list(recipientId: string, afterSeq: number, limit: number, now: number): Promise<QueuedEvent[]>;
  /** Removes one event; false when it is not queued (already acknowledged, expired or unknown). */
  ack(recipientId: string, eventId: string): Promise<boolean>;
  /** Of `recipientIds`, those with an unexpired event queued. */
  nonEmpty(recipientIds: readonly string[], now: number): Promise<string[]>;
  /** Deletes expired events; returns how many. */
  purgeExpired(now: number): Promise<number>;
  /** Events queued for everyone (expired ones count until the next purge). */
  depth(): Promise<number>;
}
