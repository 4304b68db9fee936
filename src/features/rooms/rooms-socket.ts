import { randomUUID } from 'node:crypto';
import type { RawData } from 'ws';
import { ApiError } from '../../core/errors.js';
import { CLOSE, type WsConnection, type WsEndpoint } from '../../http/ws-gateway.js';
import { frameText } from '../../http/ws-frames.js';
import type { BucketPolicy } from '../../rate-limit/rate-limiter.js';
import { TokenBucket } from '../../rate-limit/token-bucket.js';
import { after, FrameOrder } from '../../cluster/frame-order.js';
import type { IpPenalties } from './ip-penalties.js';
import { RoomProtocolError, parseRoomFrame, roomFrames, type RoomCommand, type RoomUser } from './room-protocol.js';
import type { RoomMember, RoomRegistry } from './room-registry.js';

export interface RoomLimits {
  maxFrameBytes: number;
  connectionsPerIp: number;
  /** Undefined: rate limiting disabled. */
  messages?: BucketPolicy;
  joins?: BucketPolicy;
}

export interface RoomCounters {
  rate_limited: number;
  invalid_frames: number;
  messages_relayed: number;
}

/** Frames up to this many times the size limit get a MESSAGE_TOO_LARGE error; larger ones close the socket (1009). */
const HARD_FRAME_FACTOR = 4;
/** Refusals that count no violation against the address. */
const NOT_VIOLATIONS: ReadonlySet<string> = new Set(['ROOM_FULL', 'USER_ID_TAKEN']);

/** How the endpoint answers a session's failed frame, and where unexpected failures after a promise go. */
interface SessionErrors {
  reject(session: RoomSession, err: unknown): void;
  onError(err: unknown): void;
}

/** Who a session is until it joins (shared: a socket that never joins keeps no user of its own). */
const NOBODY: RoomUser = Object.freeze({ id: '', name: '' });

/**
 * One room connection: its member identity once joined, its own rate budgets, its frames in order.
 * A budget is made on its first use (full until then, like one made at connection time): an idle
 * member keeps only the join's.
 */
class RoomSession extends FrameOrder implements RoomMember {
  user = NOBODY;
  roomId: string | undefined = undefined;
  private messages: TokenBucket | undefined = undefined;
  private joins: TokenBucket | undefined = undefined;

  constructor(
    readonly connection: WsConnection,
    private readonly limits: RoomLimits,
    private readonly errors: SessionErrors,
  ) {
    super();
  }

  send(frame: string | Buffer): void {
    this.connection.sendNow(frame);
  }

  /** False when the budget for this kind of frame is spent. */
  allowed(kind: 'join' | 'message'): boolean {
    const now = Date.now();
    if (kind === 'join') {
      if (this.limits.joins === undefined) return true;
      this.joins ??= new TokenBucket(this.limits.joins, now);
      return this.joins.take(now) === 0;
    }
    if (this.limits.messages === undefined) return true;
    this.messages ??= new TokenBucket(this.limits.messages, now);
    return this.messages.take(now) === 0;
  }

  protected fail(err: unknown): void {
    this.errors.reject(this, err);
  }

  protected lost(err: unknown): void {
    this.errors.onError(err);
  }
}

const frameBytes = (data: RawData): number => (Array.isArray(data) ? data.reduce((n, chunk) => n + chunk.length, 0) : data.byteLength);

/** `onError`: unexpected failures of a join across nodes. */
export function roomsSocketEndpoint(deps: {
  registry: RoomRegistry;
  penalties: IpPenalties;
  limits: RoomLimits;
  counters: RoomCounters;
  onError: (err: unknown) => void;
}): WsEndpoint<true, RoomSession> {
  const { registry, penalties, limits, counters } = deps;

  const reject = (session: RoomSession, err: unknown) => {
    // A roster that cannot answer (Redis down) is nobody's fault, like a full room.
    if (err instanceof ApiError && err.status === 503) return session.send(roomFrames.error('UNAVAILABLE', err.message));
    if (!(err instanceof RoomProtocolError)) throw err;
    if (err.code === 'RATE_LIMITED') counters.rate_limited += 1;
    else counters.invalid_frames += 1;
    session.send(roomFrames.error(err.code, err.message));
    // A full room or a held id is nobody's fault (a reconnect may find its old socket not yet gone); anything else is a violation.
    if (!NOT_VIOLATIONS.has(err.code) && penalties.violation(session.connection.ip))
      session.connection.close(CLOSE.policy, 'address blocked for repeated violations');
  };
  const errors: SessionErrors = { reject, onError: deps.onError };

  const leaveRoom = (session: RoomSession): void | Promise<void> => {
    if (session.roomId === undefined) return;
    const left = registry.leave(session.roomId, session);
    registry.broadcast(session.roomId, roomFrames.userLeft(session.user.id));
    session.roomId = undefined;
    return left;
  };

  const inRoom = (session: RoomSession): string => {
    if (session.roomId === undefined) throw new RoomProtocolError('NOT_IN_ROOM', 'Join a room first');
    return session.roomId;
  };

  const handle = (session: RoomSession, command: RoomCommand): void | Promise<void> => {
    if (command.type === 'leave') return leaveRoom(session);
    if (!session.allowed(command.type === 'join' ? 'join' : 'message')) {
      throw new RoomProtocolError('RATE_LIMITED', command.type === 'join' ? 'Join rate limit exceeded' : 'Message rate limit exceeded');
    }
    switch (command.type) {
      case 'ping':
        return session.send(roomFrames.pong());
      case 'join': {
        const { roomId } = command;
        const user = { id: command.userId, name: command.username };
        // Rejoining gives up its own place first (in a cluster, once the roster has taken it: its
        // own old entry would hold the id); a member refused by another room stays where it was.
        const left = roomId === session.roomId ? leaveRoom(session) : undefined;
        const joined = left instanceof Promise ? left.then(() => registry.join(roomId, session, user)) : registry.join(roomId, session, user);
        return after(joined, (others) => {
          if (others === 'full') throw new RoomProtocolError('ROOM_FULL', 'Room is full');
          if (others === 'taken') throw new RoomProtocolError('USER_ID_TAKEN', 'Another connection in this room has this userId');
          leaveRoom(session);
          session.user = user;
          session.roomId = roomId;
          session.send(roomFrames.userList(others));
          registry.broadcast(roomId, roomFrames.userJoined(user), session);
        });
      }
      case 'message':
        counters.messages_relayed += 1;
        return void registry.broadcast(inRoom(session), roomFrames.message(randomUUID(), command.encrypted, new Date().toISOString()), session);
      case 'typing':
        return void registry.broadcast(inRoom(session), roomFrames.userTyping(session.user.id, command.isTyping), session);
      case 'reaction':
        return void registry.broadcast(inRoom(session), roomFrames.reaction(command.messageId, session.user, command.emoji, command.action));
    }
  };

  return {
    name: 'rooms',
    maxPayload: limits.maxFrameBytes * HARD_FRAME_FACTOR,
    maxConnectionsPerIp: limits.connectionsPerIp,
    // `/rooms` (unambiguous), `/ws` without another dialect's query parameter (the RTC-E2EE relay's
    // path) and `/` (the Node relay accepted any path).
    routes: [{ path: '/rooms' }, { path: '/' }, { path: '/ws' }],
    parse: () => true,
    async authorize(_match, _req, _url, ip) {
      const blockedMs = penalties.blockedFor(ip);
      if (blockedMs > 0) throw new ApiError(403, 'IP_BLOCKED', 'This address is blocked for repeated protocol violations', blockedMs / 1000);
    },
    onConnection: (connection) => new RoomSession(connection, limits, errors),
    onMessage(session, data, isBinary) {
      const taken = session.inOrder(() => {
        const text = frameText(data, isBinary);
        if (text === undefined) throw new RoomProtocolError('INVALID_MESSAGE', 'Binary frames are not part of the protocol');
        // The limit is in bytes (a frame's characters can be up to 3 bytes each).
        if (frameBytes(data) > limits.maxFrameBytes) throw new RoomProtocolError('MESSAGE_TOO_LARGE', 'Message too large');
        return handle(session, parseRoomFrame(text));
      });
      if (!taken) session.connection.close(CLOSE.tryAgainLater, 'too many frames while joining');
    },
    onClose: (session) => session.inOrder(() => leaveRoom(session), true),
  };
}
