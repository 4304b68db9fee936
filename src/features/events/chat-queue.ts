// How chat-app events lie in the shared user queues: whose queue, the stored envelope, the wire frame.
import { type ApiError, tooMany } from '../../core/errors.js';
import { type FullQueue, fairShareRefusal, type Origin, type NewEvent, type QueuedEvent } from '../queues/index.js';

/** The chat-app event envelope as clients post it (`sequence` is assigned by the server). */
export interface EventInput {
  event_id?: string;
  recipient_id: string;
  sender_id: string | null;
  event_type: string;
  sequence: number;
  timestamp: number;
  metadata?: Record<string, unknown>;
  encrypted_payload: string;
}

/** Chat-app events of user `id` live in the shared user queues under this id. */
export const chatQueueId = (userId: string) => `chat:${userId}`;

/** The wire event: the stored envelope with its sequence. */
export const eventFrame = (event: QueuedEvent): string => `${event.body.slice(0, -1)},"sequence":${event.seq}}`;

/**
 * A posted event as every queue it goes to stores it: the envelope as posted (a group event keeps the
 * group as its recipient_id), `timestamp` 0 made the server's time, `sequence` left out (eventFrame adds each queue's own).
 */
export function storedEvent(input: EventInput, eventId: string, at: number, ttlSeconds: number, origin: Origin | null): Omit<NewEvent, 'recipientId'> {
  const body = JSON.stringify({
    event_id: eventId,
    recipient_id: input.recipient_id,
    sender_id: input.sender_id,
    event_type: input.event_type,
    timestamp: input.timestamp === 0 ? Math.round(at * 1000) : input.timestamp,
    metadata: input.metadata ?? {},
    encrypted_payload: input.encrypted_payload,
  });
  return { eventId, body, createdAt: at, expiresAt: at + ttlSeconds, origin };
}

/** The 429 of a refused event: the recipient's queue full (QUEUE_FULL, as before the shares), or the sender's or its address's share of it. */
export const queueFull = (cap: FullQueue): ApiError =>
  cap === 'recipient' ? tooMany('QUEUE_FULL', "The recipient's event queue is full; retry later", 5) : fairShareRefusal(cap);
