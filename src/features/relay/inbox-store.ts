import type { FullQueue, QueueCaps } from '../queues/index.js';

/** A direct message waiting in a recipient's queue, in the Whispr wire shape. */
export interface QueuedMessage {
  id: number;
  recipient: string;
  from: string;
  enc_pub: string;
  message: string;
  signature: string;
  timestamp: number;
}

export interface NewMessage extends Omit<QueuedMessage, 'id'> {
  /** The budget key of the sender's address (see addressKey), for the per-address share of the queue. */
  fromAddress: string;
  /** Canonical base64 of the signature: the replay key. */
  replayKey: string;
  /** Unix seconds; null: never expires. */
  expiresAt: number | null;
  replayExpiresAt: number;
}

export type EnqueueResult =
  | { status: 'queued'; message: QueuedMessage }
  | { status: 'duplicate'; id: number; timestamp: number }
  | { status: 'full'; cap: FullQueue };

/** The queued message as the wire shows it: the store's own fields left out. */
export function queuedMessage(id: number, m: NewMessage): QueuedMessage {
  const { replayKey: _r, expiresAt: _e, replayExpiresAt: _x, fromAddress: _a, ...wire } = m;
  return { id, ...wire };
}

/**
 * The durable per-recipient queue. A message is handed out either by `drain` (removed at once) or by
 * `lease` (hidden from everyone else until `remove` after a socket wrote it, or `release`).
 */
export interface InboxStore {
  /**
   * Refuses a message over a cap (the recipient's queue full, or the sender's or its address's share
   * of it) and answers a replay (same replayKey) with the original id.
   */
  enqueue(message: NewMessage, caps: QueueCaps, now: number): Promise<EnqueueResult>;
  /** Atomically removes and returns unleased, unexpired messages newer than `since`, oldest first. */
  drain(recipient: string, since: number, limit: number, now: number): Promise<QueuedMessage[]>;
  /** Leases unleased messages of a recipient (all of them, or the given ids), oldest first. */
  lease(recipient: string, ids: readonly number[] | 'all', leaseUntil: number, now: number): Promise<QueuedMessage[]>;
  remove(ids: readonly number[]): Promise<void>;
  release(ids: readonly number[]): Promise<void>;
  /** Clears every lease; only safe when no other process delivers from this store (embedded mode, at start). */
  releaseAll(): Promise<void>;
  /** Of `recipients`, those with a message ready to lease (unleased or its lease expired, unexpired). */
  waiting(recipients: readonly string[], now: number): Promise<string[]>;
  /** Deletes expired messages and replay receipts; returns how many messages expired. */
  purgeExpired(now: number): Promise<number>;
  totalQueued(): Promise<number>;
}
