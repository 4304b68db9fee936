import type { QueuedEvent, UserQueueStore } from './user-queue-store.js';

/** A live socket; `send` resolves true once the frame was handed to it. */
export interface QueueSocket {
  send(frame: string): Promise<boolean>;
}

export interface QueueReaderOptions {
  store: UserQueueStore;
  now: () => number;
  /**
   * `written`: an event leaves the queue once the socket wrote it (private-comm pending messages).
   * `ack`: it leaves only when the client acknowledges it, and is sent again if that takes longer
   * than `redeliverAfterMs` (chat-app events).
   */
  removeOn: 'written' | 'ack';
  /** Events sent and not yet acknowledged (ack mode), or per read (written mode). */
  window: number;
  redeliverAfterMs: number;
  frame(event: QueuedEvent): string;
  onError(err: unknown): void;
}

/**
 * Feeds one socket from one user's durable queue, in sequence order, at least once. Wake it when
 * the socket opens and whenever something was queued; it reads from where it stopped.
 */
export class QueueReader {
  private cursor = 0;
  /** Acknowledgement mode: event id -> when it was sent. */
  private readonly unacked = new Map<string, number>();
  private running = false;
  /** The queue may hold events after the cursor that were not sent: it must be read. */
  private behind = true;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly queueId: string,
    private readonly socket: QueueSocket,
    private readonly options: QueueReaderOptions,
  ) {}

  /**
   * Something was queued. `next`, the event that was (when the waker knows it), goes out at once if
   * it is the next in line and fits the window: a socket that keeps up never reads its queue back.
   */
  wake(next?: QueuedEvent): void {
    if (this.closed || (next !== undefined && next.seq <= this.cursor)) return;
    if (next === undefined || this.running || !this.follows(next)) this.behind = true;
    if (this.running) return;
    this.running = true;
    void this.pump(next)
      .catch(this.options.onError)
      .finally(() => {
        this.running = false;
      });
  }

  /** The client acknowledged an event: it leaves the queue. False when it was not queued. */
  async ack(eventId: string): Promise<boolean> {
    // The client holds it: its place in the window is free now, not once the queue has removed it
    // (if that fails, the event stays queued and the next connection gets it again).
    const freed = this.unacked.delete(eventId);
    const removed = this.options.store.ack(this.queueId, eventId);
    // Read on only if something waits unread (a socket that keeps up has nothing).
    if (freed && this.behind) this.wake();
    return removed;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private async pump(next: QueuedEvent | undefined): Promise<void> {
    if (!this.behind && next !== undefined) await this.deliver([next]);
    while (this.behind && !this.closed && this.room() > 0) {
      this.behind = false;
      // A full page: there may be more.
      if (await this.readOnce()) this.behind = true;
    }
  }

  /** Room for this many more events: the window less what awaits acknowledgement (ack mode). */
  private room(): number {
    const { removeOn, window } = this.options;
    return removeOn === 'ack' ? window - this.unacked.size : window;
  }

  private follows(event: QueuedEvent): boolean {
    return event.seq === this.cursor + 1 && this.room() > 0 && (event.expiresAt === null || event.expiresAt > this.options.now());
  }

  /** Sends the next page; true when a full page went out. */
  private async readOnce(): Promise<boolean> {
    const room = this.room();
    const events = await this.options.store.list(this.queueId, this.cursor, room, this.options.now());
    if (events.length === 0) return false;
    return (await this.deliver(events)) && events.length === room;
  }

  /** Sends events that follow the cursor, in order; true when every one went out. */
  private async deliver(events: readonly QueuedEvent[]): Promise<boolean> {
    const { store, removeOn } = this.options;
    this.cursor = (events[events.length - 1] as QueuedEvent).seq;
    if (removeOn === 'ack') {
      const sentAt = Date.now();
      for (const event of events) {
        this.unacked.set(event.eventId, sentAt);
        void this.socket.send(this.options.frame(event));
      }
      this.armRedelivery();
      return true;
    }
    const written = await Promise.all(events.map((event) => this.socket.send(this.options.frame(event))));
    // A write that failed means the socket is gone: the event stays queued for the next connection.
    // All at once, so they share one commit: removed one by one, a quick reconnect would get most of them again.
    await Promise.all(events.filter((_, i) => written[i] === true).map((event) => store.ack(this.queueId, event.eventId)));
    return written.every(Boolean);
  }

  private armRedelivery(): void {
    if (this.timer !== undefined || this.unacked.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const oldest = Math.min(...this.unacked.values());
      if (Date.now() - oldest >= this.options.redeliverAfterMs) {
        // Start over from the oldest unacknowledged event so order is kept on redelivery.
        this.unacked.clear();
        this.cursor = 0;
        this.wake();
      } else {
        this.armRedelivery();
      }
    }, this.options.redeliverAfterMs);
    this.timer.unref();
  }
}
