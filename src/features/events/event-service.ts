import { randomUUID } from 'node:crypto';
import { forbidden, notFound } from '../../core/errors.js';
import type { Origin, QueueCaps, QueueHub, UserQueueStore } from '../queues/index.js';
import { chatQueueId, queueFull, storedEvent, type EventInput } from './chat-queue.js';
import { deliverToGroup, type GroupPostResult } from './group-delivery.js';

/** Nothing about whether the recipient is online: the answer would tell any sender who is (a presence oracle). */
export interface PostResult {
  success: true;
  event_id: string;
}

const recipientNotFound = () => notFound('RECIPIENT_NOT_FOUND', 'Recipient not found');

/**
 * Chat-app events: per-recipient FIFO queues with a server sequence that only grows, kept until the
 * recipient acknowledges them or they pass their TTL, and pushed to the recipient's open sockets.
 * An event addressed to a chat-app group goes to each of its members but the sender.
 */
export class EventService {
  constructor(
    private readonly deps: {
      queue: UserQueueStore;
      hub: QueueHub;
      isUser: (userId: string) => Promise<boolean>;
      /** The members of a chat-app group; undefined when there is no such group. */
      groupMembers: (groupId: string) => Promise<readonly string[] | undefined>;
      now: () => number;
      limits: { ttlSeconds: number; queue: QueueCaps };
    },
  ) {}

  /**
   * POST /api/events: `sender_id` must be the caller. A repeated event_id is answered, not queued again.
   * A registered user's id names that user first, so no group can take over someone's direct events.
   * `address`: the budget key of the caller's client address, for its share of each queue.
   */
  async post(callerId: string, address: string, input: EventInput): Promise<PostResult | GroupPostResult> {
    if (input.sender_id !== callerId) throw forbidden('SENDER_MISMATCH', 'Sender ID mismatch');
    const origin = { sender: callerId, address };
    if (await this.deps.isUser(input.recipient_id)) return this.enqueue(input, origin);
    const members = await this.deps.groupMembers(input.recipient_id);
    if (members === undefined) throw recipientNotFound();
    if (!members.includes(callerId)) throw forbidden('NOT_GROUP_MEMBER', 'Not a member of this group');
    // The sender gets no copy: clients show their own message when they send it.
    const others = members.filter((id) => id !== callerId);
    const { queue, hub, limits } = this.deps;
    return deliverToGroup({ queue, hub, caps: limits.queue }, others, this.stored(input, origin));
  }

  /** An event the server itself raises (sender_id null), e.g. GROUP_KEY_UPDATE after a membership change. */
  async deliverServerEvent(recipientId: string, eventType: string, metadata: Record<string, unknown>): Promise<void> {
    if (!(await this.deps.isUser(recipientId))) throw recipientNotFound();
    const input = { recipient_id: recipientId, sender_id: null, event_type: eventType, sequence: 0, timestamp: 0, metadata, encrypted_payload: '' };
    await this.enqueue(input, null);
  }

  purgeExpired(): Promise<number> {
    return this.deps.queue.purgeExpired(this.deps.now());
  }

  private stored(input: EventInput, origin: Origin | null) {
    return storedEvent(input, input.event_id ?? randomUUID(), this.deps.now(), this.deps.limits.ttlSeconds, origin);
  }

  /** Into the queue of the registered user `input.recipient_id`. */
  private async enqueue(input: EventInput, origin: Origin | null): Promise<PostResult> {
    const { queue, hub, limits } = this.deps;
    const queueId = chatQueueId(input.recipient_id);
    const event = this.stored(input, origin);
    const result = await queue.append({ ...event, recipientId: queueId }, limits.queue);
    if (result.status === 'full') throw queueFull(result.cap);
    if (result.status === 'queued') await hub.notify(queueId, { kind: 'queued', event: result.event });
    return { success: true, event_id: event.eventId };
  }
}
