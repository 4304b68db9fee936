import type { MessageBus, Unsubscribe } from '../../bus/message-bus.js';
import type { Presence } from '../../cluster/presence.js';

/**
 * What travels on a queue's bus channel: a wake-up after an append (the queue keeps the event), a
 * best-effort frame for live sockets only (call events), or a new connection announcing itself.
 */
export type QueueNotice =
  | { kind: 'queued' }
  | { kind: 'frame'; frame: Record<string, unknown> }
  | { kind: 'connected'; connection: string };

export type NoticeListener = (notice: QueueNotice) => void;

interface Channel {
  listeners: Set<NoticeListener>;
  subscribed: Promise<Unsubscribe>;
}

const channelOf = (queueId: string) => `queue:${queueId}`;

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

  /** Wakes every socket of this node as if something was queued for it (a wake-up missed while the bus was down). */
  sweep(): void {
    for (const channel of this.channels.values()) for (const listener of channel.listeners) listener({ kind: 'queued' });
  }

  notify(queueId: string, notice: QueueNotice): Promise<void> {
    return this.bus.publish(channelOf(queueId), notice);
  }

  /** True when a socket of the queue's user is open on any node. */
  isOnline(queueId: string): Promise<boolean> {
    return this.presence.isOnline(queueId);
  }
}
