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
  private rerun = false;
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
    if (this.running) {
      this.rerun = true;
      return;
    }
    this.running = true;
    void this.pump(next)
      .catch(this.options.onError)
      .finally(() => {
        this.running = false;
      });
  }

  /** The client acknowledged an event: it leaves the queue. False when it was not queued. */
  async ack(eventId: string): Promise<boolean> {
    const removed = await this.options.store.ack(this.queueId, eventId);
    if (this.unacked.delete(eventId)) this.wake();
    return removed;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private async pump(next: QueuedEvent | undefined): Promise<void> {
    if (next !== undefined && this.follows(next)) await this.deliver([next]);
    else this.rerun = true;
    while (this.rerun && !this.closed) {
      this.rerun = false;
      while (!this.closed && (await this.readOnce()));
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

  /** Sends the next page; true when a full page went out (there may be more). */
  private async readOnce(): Promise<boolean> {
    const room = this.room();
    if (room <= 0) return false;
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
