import { PushSubscription } from './push-subscription.js';
import { decryptRoomContent, deriveRoomKey, encryptRoomContent, type RoomContent, type RoomKey } from './room-crypto.js';
import { SendBudget } from './send-budget.js';
import { utf8 } from './encoding.js';

export interface RoomMember {
  id: string;
  name: string;
}

export type RoomEvent =
  /** Who is in the room now (you first), after a join, a leave or a rejoin. */
  | { type: 'members'; members: RoomMember[] }
  /** Another member's message: `content` is undefined when it is not encrypted under your passphrase. */
  | { type: 'message'; serverId: string; timestamp: string; content: RoomContent | undefined }
  | { type: 'typing'; userId: string; isTyping: boolean }
  /** Everyone's reactions, yours included (the server echoes them). */
  | { type: 'reaction'; messageId: string; user: RoomMember; emoji: string; action: 'add' | 'remove' }
  /** `reconnecting`: the socket dropped; `joined`: in the room again (a `members` event follows). */
  | { type: 'connection'; state: 'joined' | 'reconnecting' }
  /** An error frame from the server (e.g. RATE_LIMITED) after the join. */
  | { type: 'error'; code: string; message: string };

/** The rooms server's defaults (docs/rooms.md): pass the server's own figures if it differs. */
export interface RoomLimits {
  /** Message, typing and reaction frames per window on one connection. */
  frames: number;
  windowMs: number;
  maxFrameBytes: number;
}

export interface RoomJoinOptions {
  baseUrl: string;
  /** 1-64 of A-Z a-z 0-9 _ - (the server sees it). */
  roomId: string;
  passphrase: string;
  /** 1-32 of A-Z a-z 0-9 _ - and spaces (the server sees it). */
  username: string;
  /** Defaults to a random id, new for each RoomClient. */
  userId?: string;
  onEvent: (event: RoomEvent) => void;
  limits?: Partial<RoomLimits>;
  /** How long join() waits for the room (default 20 s). */
  timeoutMs?: number;
}

const DEFAULT_LIMITS: RoomLimits = { frames: 30, windowMs: 60_000, maxFrameBytes: 10_240 };
/** A typing member says so again this often; others may forget a typing member not heard from for longer. */
export const TYPING_REFRESH_MS = 8_000;
/** Frames of the budget that typing indicators leave to messages and reactions. */
const TYPING_RESERVE = 10;
/** After a drop, the server may still hold our id (USER_ID_TAKEN) until it sees the old socket gone: at most 2 heartbeats (60 s). */
const REJOIN_RETRY_MS = 13_000;
const REJOIN_ATTEMPTS = 6;

interface ServerFrame {
  type?: unknown;
  payload?: unknown;
  [key: string]: unknown;
}

/**
 * A member of one ephemeral room (docs/rooms.md): presence, typing, reactions and messages
 * encrypted under the room passphrase (room-crypto.ts). It rejoins after a lost connection.
 * Room id, user id, display name, typing and reactions are visible to the server; message content is not.
 */
export class RoomClient {
  readonly me: RoomMember;
  private readonly socket: PushSubscription;
  private readonly limits: RoomLimits;
  private readonly budget: SendBudget;
  private others = new Map<string, RoomMember>();
  private joined = false;
  private everJoined = false;
  private rejoinAttempts = 0;
  private rejoinTimer: ReturnType<typeof setTimeout> | undefined;
  private typingSentAt: number | undefined;
  private settle: { resolve: () => void; reject: (error: Error) => void } | undefined;
  /** Frames are handled one after another: a message still decrypting must not be overtaken by a reaction to it. */
  private handled: Promise<void> = Promise.resolve();

  private constructor(
    private readonly options: RoomJoinOptions,
    private readonly key: RoomKey,
  ) {
    this.me = { id: options.userId ?? crypto.randomUUID(), name: options.username };
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.budget = new SendBudget(this.limits.frames, this.limits.windowMs);
    const wsBase = options.baseUrl.replace(/^http/, 'ws');
    this.socket = new PushSubscription({
      url: async () => `${wsBase}/rooms`,
      onOpen: () => this.sendJoin(),
      onFrame: (frame) => {
        // A failure (a throwing onEvent) is reported as uncaught, as EventTarget reports a listener's, and the frames after it go on.
        this.handled = this.handled
          .then(() => this.onFrame(frame as ServerFrame))
          .catch((error: unknown) => {
            queueMicrotask(() => {
              throw error;
            });
          });
      },
      onClose: () => {
        if (!this.joined) return;
        this.joined = false;
        this.typingSentAt = undefined;
        this.emit({ type: 'connection', state: 'reconnecting' });
      },
    });
  }

  /** Derives the room key, connects and joins; rejects with the server's refusal (e.g. ROOM_FULL) or after the timeout. */
  static async join(options: RoomJoinOptions): Promise<RoomClient> {
    const client = new RoomClient(options, await deriveRoomKey(options.roomId, options.passphrase));
    const timeoutMs = options.timeoutMs ?? 20_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        client.settle = { resolve, reject };
        timer = setTimeout(() => reject(new Error(`Could not reach the room within ${timeoutMs / 1000} s`)), timeoutMs);
      });
    } catch (error) {
      client.leave();
      throw error;
    } finally {
      clearTimeout(timer);
      client.settle = undefined;
    }
    return client;
  }

  get members(): RoomMember[] {
    return [this.me, ...this.others.values()];
  }

  get connected(): boolean {
    return this.joined;
  }

  /** Encrypts and sends a message; returns its content (the server does not echo it back to the sender). */
  async send(text: string): Promise<RoomContent> {
    const content: RoomContent = { id: crypto.randomUUID(), from: this.me.id, name: this.me.name, text, at: Date.now() };
    const frame = { type: 'message', payload: { encrypted: await encryptRoomContent(this.key, content) } };
    if (utf8(JSON.stringify(frame)).length > this.limits.maxFrameBytes) throw new Error('This message is too long for a room');
    this.sendCounted(frame);
    this.typingSentAt = undefined; // a message ends the typing
    return content;
  }

  /**
   * Say whether you are typing, as often as you like (e.g. on every key): `true` goes out when it
   * changes or every TYPING_REFRESH_MS, `false` only after a `true`, and neither when it would eat
   * into the budget kept for messages and reactions.
   */
  typing(isTyping: boolean): void {
    if (!this.joined) return;
    const now = Date.now();
    if (isTyping && this.typingSentAt !== undefined && now - this.typingSentAt < TYPING_REFRESH_MS) return;
    if (!isTyping && this.typingSentAt === undefined) return;
    if (!this.budget.take(TYPING_RESERVE, now)) return;
    this.socket.send({ type: 'typing', payload: { isTyping } });
    this.typingSentAt = isTyping ? now : undefined;
  }

  /** Adds or takes back a reaction to a message (by its content id); everyone, you included, gets the `reaction` event. */
  react(messageId: string, emoji: string, action: 'add' | 'remove' = 'add'): void {
    this.sendCounted({ type: 'reaction', payload: { messageId, emoji, action } });
  }

  /** Leaves the room and closes the connection for good. */
  leave(): void {
    clearTimeout(this.rejoinTimer);
    if (this.joined) this.socket.send({ type: 'leave' });
    this.joined = false;
    this.socket.close();
  }

  private sendCounted(frame: unknown): void {
    if (!this.joined) throw new Error('Not connected to the room: reconnecting…');
    if (!this.budget.take()) throw new Error('Too many messages at once: wait a moment');
    this.socket.send(frame);
  }

  private sendJoin(): void {
    this.socket.send({ type: 'join', payload: { roomId: this.options.roomId, userId: this.me.id, username: this.me.name } });
  }

  private emit(event: RoomEvent): void {
    this.options.onEvent(event);
  }

  private emitMembers(): void {
    this.emit({ type: 'members', members: this.members });
  }

  private async onFrame(frame: ServerFrame): Promise<void> {
    const payload = (frame.payload ?? {}) as Record<string, unknown>;
    switch (frame.type) {
      case 'userList': {
        const users = (payload.users ?? []) as RoomMember[];
        this.others = new Map(users.filter((u) => u.id !== this.me.id).map((u) => [u.id, { id: u.id, name: u.name }]));
        this.joined = true;
        this.rejoinAttempts = 0;
        if (this.everJoined) this.emit({ type: 'connection', state: 'joined' });
        this.everJoined = true;
        this.settle?.resolve();
        return this.emitMembers();
      }
      case 'userJoined':
        this.others.set(String(payload.userId), { id: String(payload.userId), name: String(payload.username) });
        return this.emitMembers();
      case 'userLeft':
        this.others.delete(String(payload.userId));
        return this.emitMembers();
      case 'userTyping':
        return this.emit({ type: 'typing', userId: String(payload.userId), isTyping: payload.isTyping === true });
      case 'reaction': {
        const user = frame.user as RoomMember;
        const action = frame.action === 'remove' ? 'remove' : 'add';
        return this.emit({ type: 'reaction', messageId: String(frame.messageId), user: { id: user.id, name: user.name }, emoji: String(frame.emoji), action });
      }
      case 'message': {
        const content = typeof frame.payload === 'string' ? await decryptRoomContent(this.key, frame.payload) : undefined;
        return this.emit({ type: 'message', serverId: String(frame.id), timestamp: String(frame.timestamp), content });
      }
      case 'error':
        return this.onError(String(frame.code), String(frame.message));
    }
  }

  private onError(code: string, message: string): void {
    if (this.settle !== undefined && !this.joined) {
      this.settle.reject(new Error(`${code}: ${message}`));
    } else if (!this.joined && code === 'USER_ID_TAKEN' && this.rejoinAttempts < REJOIN_ATTEMPTS) {
      // A rejoin after a drop: the server may not have seen the old socket go yet.
      this.rejoinAttempts += 1;
      this.rejoinTimer = setTimeout(() => this.sendJoin(), REJOIN_RETRY_MS);
    } else {
      this.emit({ type: 'error', code, message });
    }
  }
}
