import type { MessageBus, Unsubscribe } from '../../bus/message-bus.js';
import type { Presence } from '../../cluster/presence.js';
import type { QueuedEvent } from './user-queue-store.js';

/**
 * What travels on a queue's bus channel: a wake-up after an append (the queue keeps the event; the
 * notice carries it too, so a socket that is up to date sends it without reading the queue; a sweep's
 * wake-up carries none), a best-effort frame for live sockets only (call events), or a new connection
 * announcing itself.
 */
export type QueueNotice =
  | { kind: 'queued'; event?: QueuedEvent }
  | { kind: 'frame'; frame: Record<string, unknown> }
  | { kind: 'connected'; connection: string };

export type NoticeListener = (notice: QueueNotice) => void;

interface Channel {
  listeners: Set<NoticeListener>;
  subscribed: Promise<Unsubscribe>;
}

const channelOf = (queueId: string) => `queue:${queueId}`;
const SWEEP_BATCH = 1000;

/**
 * The live side of the per-user queues: sockets listen on their queue's bus channel, so an append on
 * any node (once the bus spans nodes) wakes the recipient's sockets wherever they are.
 */
export class QueueHub {
  private readonly channels = new Map<string, Channel>();

  constructor(
    private readonly bus: MessageBus,
    private readonly presence: Presence,
    private readonly onError: (err: unknown) => void,
  ) {}

  /**
   * Listens for a queue's notices (a socket of its user opened); resolves once subscribed, to the
   * function that stops listening. The user counts as online, on any node, while one listens.
   */
  async listen(queueId: string, listener: NoticeListener): Promise<() => void> {
    let channel = this.channels.get(queueId);
    if (channel === undefined) {
      const created: Channel = { listeners: new Set(), subscribed: Promise.resolve(async () => {}) };
      created.subscribed = this.bus.subscribe(channelOf(queueId), (notice) => {
        for (const l of created.listeners) l(notice as QueueNotice);
      });
      this.channels.set(queueId, created);
      channel = created;
    }
    channel.listeners.add(listener);
    await Promise.all([channel.subscribed, this.presence.join(queueId)]);
    const joined = channel;
    return () => {
      if (!joined.listeners.delete(listener)) return;
      this.presence.leave(queueId).catch(this.onError);
      if (joined.listeners.size > 0) return;
      this.channels.delete(queueId);
      joined.subscribed.then((unsubscribe) => unsubscribe()).catch(this.onError);
    };
  }

  /**
   * Wakes this node's sockets whose queue holds something (`nonEmpty` picks them, one query per
   * batch): a wake-up missed while the bus was down is made up.
   */
  async sweep(nonEmpty: (queueIds: readonly string[]) => Promise<string[]>): Promise<void> {
    const ids = [...this.channels.keys()];
    for (let i = 0; i < ids.length; i += SWEEP_BATCH) {
      for (const id of await nonEmpty(ids.slice(i, i + SWEEP_BATCH))) {
        for (const listener of this.channels.get(id)?.listeners ?? []) listener({ kind: 'queued' });
      }
    }
  }

  notify(queueId: string, notice: QueueNotice): Promise<void> {
    return this.bus.publish(channelOf(queueId), notice);
  }

  /** True when a socket of the queue's user is open on any node. */
  isOnline(queueId: string): Promise<boolean> {
    return this.presence.isOnline(queueId);
  }
}
