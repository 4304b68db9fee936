import type { GroupClient, GroupMessageItem } from 'whispr-sdk';
import { Retrier } from '../chat/retrier.js';

/** Messages asked of the server per fetch, and shown per "Load older messages". */
export const PAGE_SIZE = 50;
/** Fetches per catch-up run: a long history is read over several runs rather than in one unbounded loop. */
const MAX_PAGES_PER_RUN = 20;

/**
 * One channel's history as the server holds it (ciphertext; the server is the durable copy, so
 * nothing of it is stored in the browser). The server pages forward from a timestamp, so the
 * history is read forward page by page up to the newest message; a push event or a poll reads on
 * from there. `shown` is how many of the newest the view shows; older ones are a click away.
 */
export class ChannelHistory {
  readonly messages: GroupMessageItem[] = [];
  shown = PAGE_SIZE;
  private since = 0;
  private readonly reader: Retrier;

  constructor(
    private readonly groups: GroupClient,
    readonly groupId: string,
    readonly channelId: string,
    private readonly changed: () => void,
    private readonly refused: (error: unknown) => boolean,
  ) {
    this.reader = new Retrier(() => this.readOn());
  }

  /** Reads what arrived since the last read (now, or after the current read ends). */
  catchUp(): void {
    this.reader.kick();
  }

  stop(): void {
    this.reader.stop();
  }

  get hasOlder(): boolean {
    return this.messages.length > this.shown;
  }

  showOlder(): void {
    this.shown += PAGE_SIZE;
    this.changed();
  }

  /** The newest `shown` messages, oldest first. */
  get visible(): GroupMessageItem[] {
    return this.messages.slice(-this.shown);
  }

  /** True when caught up (or refused for good: no longer a member); false to try again later. */
  private async readOn(): Promise<boolean> {
    for (let page = 0; page < MAX_PAGES_PER_RUN; page++) {
      let answer: Awaited<ReturnType<GroupClient['fetch']>>;
      try {
        answer = await this.groups.fetch(this.groupId, this.channelId, { since: this.since, limit: PAGE_SIZE });
      } catch (error) {
        return this.refused(error);
      }
      this.messages.push(...answer.messages);
      this.since = answer.next_since;
      if (answer.messages.length > 0) this.changed();
      if (!answer.has_more) return true;
    }
    return false;
  }
}
