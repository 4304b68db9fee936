import { RoomClient, type RoomContent, type RoomEvent, type RoomMember, TYPING_REFRESH_MS } from 'whispr-sdk';

/** One line of the room: a message you could decrypt (yours or another's), or one you could not. */
export interface RoomLine {
  /** Unique in this session: the content id, or the server's id when undecryptable. */
  key: string;
  content: RoomContent | undefined;
  mine: boolean;
  at: Date;
}

/** Reactions you can give in a room. */
export const ROOM_EMOJI = ['👍', '❤️', '😂'] as const;

/** A typing member not heard from for this long (they refresh every TYPING_REFRESH_MS) is taken as having stopped. */
const TYPING_FORGET_MS = TYPING_REFRESH_MS + 4_000;
/** Lines kept in memory (the oldest go first), so a long session stays small. */
const MAX_LINES = 500;

export interface RoomJoin {
  roomId: string;
  passphrase: string;
  username: string;
}

/**
 * What the room view shows, kept in memory only (rooms are ephemeral): members, the lines since
 * you joined, who is typing, reaction counts. Dispatches `change` whenever any of it changes.
 */
export class RoomSession extends EventTarget {
  readonly lines: RoomLine[] = [];
  members: RoomMember[] = [];
  connected = true;
  /** The last error after the join (the server's, or a refused reaction), shown until the next one or a reaction that went out. */
  problem = '';
  private readonly typists = new Map<string, ReturnType<typeof setTimeout>>();
  /** message id -> emoji -> the user ids that gave it. */
  private readonly reactions = new Map<string, Map<string, Set<string>>>();
  private client: RoomClient | undefined;

  private constructor(readonly roomId: string) {
    super();
  }

  static async join({ roomId, passphrase, username }: RoomJoin): Promise<RoomSession> {
    const session = new RoomSession(roomId);
    session.client = await RoomClient.join({ baseUrl: location.origin, roomId, passphrase, username, onEvent: (event) => session.on(event) });
    session.members = session.client.members;
    return session;
  }

  get me(): RoomMember {
    return this.live().me;
  }

  /** The names of the others typing now, as the server names them. */
  get typing(): string[] {
    return this.members.filter((member) => this.typists.has(member.id)).map((member) => member.name);
  }

  /** How many gave `emoji` to a message, and whether you did. */
  reactionsTo(messageId: string, emoji: string): { count: number; mine: boolean } {
    const users = this.reactions.get(messageId)?.get(emoji);
    return { count: users?.size ?? 0, mine: users?.has(this.me.id) ?? false };
  }

  async send(text: string): Promise<void> {
    const content = await this.live().send(text);
    this.add({ key: content.id, content, mine: true, at: new Date(content.at) });
    this.changed();
  }

  typed(isTyping: boolean): void {
    this.live().typing(isTyping);
  }

  /** Gives `emoji`, or takes it back if you gave it; the count changes when the server echoes it. A refusal (offline, over the budget) shows as the problem. */
  toggleReaction(messageId: string, emoji: string): void {
    try {
      this.live().react(messageId, emoji, this.reactionsTo(messageId, emoji).mine ? 'remove' : 'add');
      this.problem = '';
    } catch (error) {
      this.problem = error instanceof Error ? error.message : String(error);
      this.changed();
    }
  }

  leave(): void {
    for (const timer of this.typists.values()) clearTimeout(timer);
    this.client?.leave();
  }

  private live(): RoomClient {
    if (this.client === undefined) throw new Error('Not in a room');
    return this.client;
  }

  private changed(): void {
    this.dispatchEvent(new Event('change'));
  }

  /** Adds a line, dropping the oldest beyond MAX_LINES; the caller announces the change. */
  private add(line: RoomLine): void {
    this.lines.push(line);
    for (const dropped of this.lines.splice(0, Math.max(0, this.lines.length - MAX_LINES))) this.reactions.delete(dropped.key);
  }

  /** Changes who is typing; the caller announces the change (a typist forgotten on a timer announces itself). */
  private setTyping(userId: string, isTyping: boolean): void {
    clearTimeout(this.typists.get(userId));
    this.typists.delete(userId);
    if (!isTyping) return;
    const forget = () => {
      this.typists.delete(userId);
      this.changed();
    };
    this.typists.set(userId, setTimeout(forget, TYPING_FORGET_MS));
  }

  private on(event: RoomEvent): void {
    switch (event.type) {
      case 'members':
        this.members = event.members;
        for (const userId of this.typists.keys()) if (!this.members.some((m) => m.id === userId)) this.setTyping(userId, false);
        break;
      case 'typing':
        this.setTyping(event.userId, event.isTyping);
        break;
      case 'message':
        this.onMessage(event);
        break;
      case 'reaction':
        this.onReaction(event);
        break;
      case 'connection':
        this.connected = event.state === 'joined';
        break;
      case 'error':
        this.problem = event.message;
        break;
    }
    this.changed();
  }

  private onMessage({ content, serverId, timestamp }: Extract<RoomEvent, { type: 'message' }>): void {
    // A message ends its writer's typing (they do not send "stopped" after one).
    if (content !== undefined) this.setTyping(content.from, false);
    this.add({ key: content?.id ?? serverId, content, mine: false, at: new Date(timestamp) });
  }

  private onReaction({ messageId, emoji, user, action }: Extract<RoomEvent, { type: 'reaction' }>): void {
    // Only to messages on screen: any member may name any id, and nothing else needs keeping.
    if (!this.lines.some((line) => line.key === messageId && line.content !== undefined)) return;
    const byEmoji = this.reactions.get(messageId) ?? new Map<string, Set<string>>();
    this.reactions.set(messageId, byEmoji);
    const users = byEmoji.get(emoji) ?? new Set<string>();
    byEmoji.set(emoji, users);
    if (action === 'add') users.add(user.id);
    else users.delete(user.id);
  }
}
