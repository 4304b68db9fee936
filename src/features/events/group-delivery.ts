import type { QueueCaps, QueueHub, NewEvent, UserQueueStore } from '../queues/index.js';
import { chatQueueId, queueFull } from './chat-queue.js';
import type { PostResult } from './event-service.js';

/** The answer to a group event: the direct answer's fields (about the members), and who got no copy. */
export interface GroupPostResult extends PostResult {
  /** Members, the sender aside, holding a copy: queued now or by an earlier post of the same event_id. */
  recipients: number;
  /** Members whose queue was full: they have no copy. Posting the same event_id again later queues theirs alone. */
  queue_full: string[];
}

/**
 * A group event into the queue of every member but the sender, all copies in one store transaction.
 * A member whose queue is full is left out and named in the answer rather than holding back the
 * others; only when every queue is full is the post refused (429), so nothing is answered 2xx unsent.
 */
export async function deliverToGroup(
  deps: { queue: UserQueueStore; hub: QueueHub; caps: QueueCaps },
  memberIds: readonly string[],
  event: Omit<NewEvent, 'recipientId'>,
): Promise<GroupPostResult> {
  const { queue, hub } = deps;
  const outcomes = await queue.appendEach(
    memberIds.map((id) => ({ ...event, recipientId: chatQueueId(id) })),
    deps.caps,
  );
  const withStatus = (status: string) => memberIds.filter((_, i) => outcomes[i]?.status === status);
  const full = withStatus('full');
  const [first] = outcomes;
  if (full.length > 0 && full.length === memberIds.length && first?.status === 'full') throw queueFull(first.cap);
  await Promise.all(
    outcomes.map((outcome, i) =>
      outcome?.status === 'queued' ? hub.notify(chatQueueId(memberIds[i] as string), { kind: 'queued', event: outcome.event }) : undefined,
    ),
  );
  const holders = memberIds.filter((_, i) => outcomes[i]?.status !== 'full');
  return { success: true, event_id: event.eventId, recipients: holders.length, queue_full: full };
}
