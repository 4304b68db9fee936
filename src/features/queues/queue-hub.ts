import type { MessageBus, Unsubscribe } from '../../bus/message-bus.js';

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
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Listens for a queue's notices; resolves once subscribed, to the function that stops listening. */
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
    await channel.subscribed;
    const joined = channel;
    return () => {
      if (!joined.listeners.delete(listener) || joined.listeners.size > 0) return;
      this.channels.delete(queueId);
      joined.subscribed.then((unsubscribe) => unsubscribe()).catch(this.onError);
    };
  }

  notify(queueId: string, notice: QueueNotice): Promise<void> {
    return this.bus.publish(channelOf(queueId), notice);
  }

  /** Sockets of this process listening on a queue. */
  localListeners(queueId: string): number {
    return this.channels.get(queueId)?.listeners.size ?? 0;
  }
}
