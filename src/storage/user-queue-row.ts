import type { NewEvent, QueuedEvent } from '../features/queues/index.js';

/** A row of user_queue_events as both SQL drivers select it. */
export interface UserQueueRow {
  recipient_id: string;
  seq: number;
  event_id: string;
  body: string;
  created_at: number;
  expires_at: number | null;
}

export const USER_QUEUE_COLUMNS = 'recipient_id, seq, event_id, body, created_at, expires_at';

export const toQueuedEvent = (r: UserQueueRow): QueuedEvent => ({
  recipientId: r.recipient_id,
  seq: r.seq,
  eventId: r.event_id,
  body: r.body,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
});

/** appendEach's precondition on every driver: one event per recipient (each queue takes one number per batch). */
export function requireDistinctRecipients(events: readonly NewEvent[]): void {
  if (new Set(events.map((e) => e.recipientId)).size !== events.length) throw new Error('appendEach: the events must all have different recipients');
}
