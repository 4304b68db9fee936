import { randomUUID } from 'node:crypto';
import { forbidden, tooMany, ApiError } from '../../core/errors.js';
import type { QueueHub } from '../queues/queue-hub.js';
import type { QueuedEvent, UserQueueStore } from '../queues/user-queue-store.js';

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

export interface PostResult {
  success: true;
  event_id: string;
  delivered: boolean;
  queued: boolean;
}

/** Chat-app events of user `id` live in the shared user queues under this id. */
export const chatQueueId = (userId: string) => `chat:${userId}`;

/** The wire event: the stored envelope with its sequence. */
export const eventFrame = (event: QueuedEvent): string => `${event.body.slice(0, -1)},"sequence":${event.seq}}`;

/**
 * Chat-app events: per-recipient FIFO queues with a server sequence that only grows, kept until the
 * recipient acknowledges them or they pass their TTL, and pushed to the recipient's open sockets.
 */
export class EventService {
  constructor(
    private readonly deps: {
      queue: UserQueueStore;
      hub: QueueHub;
      isUser: (userId: string) => Promise<boolean>;
      now: () => number;
      limits: { ttlSeconds: number; maxQueued: number };
    },
  ) {}

  /** POST /api/events: `sender_id` must be the caller. A repeated event_id is answered, not queued again. */
  async post(callerId: string, input: EventInput): Promise<PostResult> {
    if (input.sender_id !== callerId) throw forbidden('SENDER_MISMATCH', 'Sender ID mismatch');
    return this.enqueue(input);
  }

  /** An event the server itself raises (sender_id null), e.g. GROUP_KEY_UPDATE after a membership change. */
  async deliverServerEvent(recipientId: string, eventType: string, metadata: Record<string, unknown>): Promise<void> {
    await this.enqueue({ recipient_id: recipientId, sender_id: null, event_type: eventType, sequence: 0, timestamp: 0, metadata, encrypted_payload: '' });
  }

  purgeExpired(): Promise<number> {
    return this.deps.queue.purgeExpired(this.deps.now());
  }

  private async enqueue(input: EventInput): Promise<PostResult> {
    const { queue, hub, now, limits } = this.deps;
    if (!(await this.deps.isUser(input.recipient_id))) throw new ApiError(404, 'RECIPIENT_NOT_FOUND', 'Recipient not found');
    const at = now();
    const eventId = input.event_id ?? randomUUID();
    const queueId = chatQueueId(input.recipient_id);
    // `sequence` is left out of the stored body and added on the way out (eventFrame).
    const body = JSON.stringify({
      event_id: eventId,
      recipient_id: input.recipient_id,
      sender_id: input.sender_id,
      event_type: input.event_type,
      timestamp: input.timestamp === 0 ? Math.round(at * 1000) : input.timestamp,
      metadata: input.metadata ?? {},
      encrypted_payload: input.encrypted_payload,
    });
    const result = await queue.append({ recipientId: queueId, eventId, body, createdAt: at, expiresAt: at + limits.ttlSeconds }, limits.maxQueued);
    if (result.status === 'full') throw tooMany('QUEUE_FULL', "The recipient's event queue is full; retry later", 5);
    if (result.status === 'queued') await hub.notify(queueId, { kind: 'queued' });
    const delivered = await hub.isOnline(queueId);
    return { success: true, event_id: eventId, delivered, queued: !delivered };
  }
}
