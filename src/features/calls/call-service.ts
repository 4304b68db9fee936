import { GroupLink, type GroupCluster } from '../../cluster/group-link.js';

/** A participant's connection, written to best effort. */
export interface CallPeer {
  send(frame: string): void;
}

/** Delivers a frame to a user's account connection (the private-comm dialect); false when offline. */
export interface UserDelivery {
  deliver(userId: string, frame: Record<string, unknown>): Promise<boolean>;
}

export type CallErrorCode = 'INVALID_CALL_ID' | 'CALL_FULL' | 'TOO_MANY_CALLS' | 'NOT_IN_CALL' | 'CALL_NOT_FOUND' | 'RECIPIENT_OFFLINE';

export class CallError extends Error {
  constructor(
    readonly code: CallErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface CallLimits {
  maxParticipants: number;
  maxCalls: number;
  timeoutMs: number;
}

interface SignalRoom {
  peers: Set<CallPeer>;
  timer: NodeJS.Timeout;
  /** Joins across nodes waiting for the roster: the room stays open for them. */
  joining: number;
}

interface UserCall {
  timer: NodeJS.Timeout;
}

const CALL_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/** The five call events of the private-comm dialect; an offer opens a call, reject and end close it. */
export const USER_CALL_EVENTS = ['call_offer', 'call_answer', 'ice_candidate', 'call_reject', 'call_end'] as const;
export type UserCallEvent = (typeof USER_CALL_EVENTS)[number];

const frames = {
  peerJoin: '{"type":"peer-join"}',
  peerLeave: '{"type":"peer-leave"}',
  signal: (payload: unknown) => JSON.stringify({ type: 'signal', payload }),
  timeout: JSON.stringify({ type: 'error', error_code: 'CALL_TIMEOUT', detail: 'The call reached its time limit and was closed' }),
};

/** The notice a node sends the others when a call reached its time limit there. */
const TIMED_OUT = 'timeout';

export interface CallServiceOptions {
  /** Calls whose participants are on several nodes; without it this process is the whole deployment. */
  cluster?: GroupCluster;
  /** Failures of the cluster in the background (a publish or sweep Redis did not take). */
  onError?: (err: unknown) => void;
}

const userPair = (a: string, b: string) => [a, b].sort().join('|');

/**
 * Call coordination without seeing call content. Two faces share its limits and counters: Whispr's
 * /signal rooms keyed by call_id (only joined sockets may signal), and private-comm call events
 * addressed to a user (only the two users of an open call may continue it). With a cluster, a
 * /signal call's participants may be on different nodes: the roster counts them for CALL_FULL and
 * frames cross over the call's bus channel; each node keeps (and checks) its own sockets.
 */
export class CallService {
  private readonly rooms = new Map<string, SignalRoom>();
  private readonly roomOf = new Map<CallPeer, string>();
  private readonly userCalls = new Map<string, UserCall>();
  private readonly link: GroupLink<CallPeer> | undefined;
  readonly counters = { calls_opened: 0, calls_timed_out: 0, signals_relayed: 0, call_events_relayed: 0, refused: 0 };

  constructor(
    private readonly limits: CallLimits,
    private readonly delivery?: UserDelivery,
    options: CallServiceOptions = {},
  ) {
    this.link =
      options.cluster &&
      new GroupLink<CallPeer>(
        options.cluster,
        'call',
        {
          deliver: (id, frame) => this.deliver(id, frame),
          departed: (id, gone) =>
            gone.forEach(() => {
              this.broadcast(id, frames.peerLeave);
            }),
          restored: (id, peers) =>
            peers.forEach((peer) => {
              this.broadcast(id, frames.peerJoin, peer);
            }),
          notice: (id, notice) => {
            if (notice === TIMED_OUT) this.timeOut(id);
          },
        },
        options.onError ?? (() => undefined),
      );
  }

  /**
   * Joins `callId` (leaving any other room first); the others get peer-join. At once on one node;
   * across nodes a promise (the roster decides CALL_FULL), and the checks that need no roster throw at once.
   */
  join(peer: CallPeer, callId: unknown): void | Promise<void> {
    const id = this.validCallId(callId);
    const current = this.roomOf.get(peer);
    if (current === id) return;
    const room = this.rooms.get(id);
    if (room !== undefined && room.peers.size >= this.limits.maxParticipants) this.refuseFull();
    if (room === undefined && this.activeCalls() >= this.limits.maxCalls) this.refuse('TOO_MANY_CALLS', 'The server has reached its limit of concurrent calls');
    if (this.link === undefined) return this.enter(peer, id, room ?? this.openRoom(id), current);
    return this.joinAcrossNodes(this.link, peer, id, room ?? this.openRoom(id), current);
  }

  /** Relays `payload` verbatim to the other participants; only a participant of that call (on this node) may signal. */
  signal(peer: CallPeer, callId: unknown, payload: unknown): void {
    const id = this.validCallId(callId);
    const room = this.rooms.get(id);
    if (room === undefined || !room.peers.has(peer)) this.refuse('NOT_IN_CALL', 'Join the call before signaling into it');
    this.broadcast(id, frames.signal(payload), peer);
    this.counters.signals_relayed += 1;
  }

  /** Leaves the peer's room (a call_id, if given, must be that room, even for a peer in none); the others get peer-leave. */
  leave(peer: CallPeer, callId?: unknown): void {
    const id = this.roomOf.get(peer);
    if (callId !== undefined && this.validCallId(callId) !== id) this.refuse('NOT_IN_CALL', 'Not in that call');
    if (id === undefined) return;
    this.roomOf.delete(peer);
    this.link?.leave(id, peer);
    const room = this.rooms.get(id);
    if (room === undefined) return;
    room.peers.delete(peer);
    this.broadcast(id, frames.peerLeave);
    if (room.peers.size === 0 && room.joining === 0) this.closeRoom(id);
  }

  /** Forwards a private-comm call event from one user to another, as `{type, sender_id, ...fields}`. */
  async relayUserEvent(from: string, to: string, type: UserCallEvent, fields: Record<string, unknown>): Promise<void> {
    if (this.delivery === undefined) throw new Error('no user delivery configured for call events');
    const pair = userPair(from, to);
    const open = this.userCalls.get(pair);
    if (type === 'call_offer') {
      if (open === undefined && this.activeCalls() >= this.limits.maxCalls)
        this.refuse('TOO_MANY_CALLS', 'The server has reached its limit of concurrent calls');
      if (open === undefined) this.openUserCall(pair);
    } else if (open === undefined) {
      this.refuse('CALL_NOT_FOUND', 'No open call with this user');
    }
    if (type === 'call_reject' || type === 'call_end') this.closeUserCall(pair);
    const delivered = await this.delivery.deliver(to, { ...fields, type, sender_id: from });
    if (!delivered) {
      if (type === 'call_offer') this.closeUserCall(pair);
      this.refuse('RECIPIENT_OFFLINE', 'The recipient is not connected');
    }
    this.counters.call_events_relayed += 1;
  }

  activeCalls(): number {
    return this.rooms.size + this.userCalls.size;
  }

  stats() {
    let participants = 0;
    for (const room of this.rooms.values()) participants += room.peers.size;
    return { active_calls: this.activeCalls(), signal_rooms: this.rooms.size, participants, ...this.counters, max_concurrent_calls: this.limits.maxCalls };
  }

  close(): void {
    this.link?.close();
    for (const id of [...this.rooms.keys()]) this.closeRoom(id);
    for (const pair of [...this.userCalls.keys()]) this.closeUserCall(pair);
  }

  /** Waits for the roster, then enters; a refused join closes the room it opened here. */
  private async joinAcrossNodes(link: GroupLink<CallPeer>, peer: CallPeer, id: string, room: SignalRoom, current: string | undefined): Promise<void> {
    room.joining += 1;
    let admitted: string[] | 'taken' | undefined; // never 'taken': calls ask for no unique prefix
    try {
      admitted = await link.join(id, peer, '', this.limits.maxParticipants);
    } finally {
      room.joining -= 1;
      if (admitted === undefined && room.peers.size === 0 && room.joining === 0 && this.rooms.get(id) === room) this.closeRoom(id);
    }
    if (admitted === undefined) this.refuseFull();
    // The call may have timed out while the roster answered: this participant opens it again.
    this.enter(peer, id, this.rooms.get(id) ?? this.openRoom(id), current);
  }

  /** The peer leaves its current call and joins `room`; the others (on every node) get peer-join. */
  private enter(peer: CallPeer, id: string, room: SignalRoom, current: string | undefined): void {
    if (current !== undefined) this.leave(peer);
    // A room is opened (and counted) by its first participant on this node.
    if (room.peers.size === 0) this.counters.calls_opened += 1;
    this.broadcast(id, frames.peerJoin, peer);
    room.peers.add(peer);
    this.roomOf.set(peer, id);
  }

  /** Writes `frame` to the participants of call `id` but `except`, on this node and (through the bus) the others. */
  private broadcast(id: string, frame: string, except?: CallPeer): void {
    this.link?.publish(id, frame);
    this.deliver(id, frame, except);
  }

  private deliver(id: string, frame: string, except?: CallPeer): void {
    const room = this.rooms.get(id);
    if (room !== undefined) for (const peer of room.peers) if (peer !== except) peer.send(frame);
  }

  /** Closes call `id` on this node: its participants get CALL_TIMEOUT, and no peer-leave. */
  private timeOut(id: string): void {
    const room = this.rooms.get(id);
    if (room === undefined) return;
    this.counters.calls_timed_out += 1;
    for (const peer of room.peers) {
      peer.send(frames.timeout);
      this.roomOf.delete(peer);
      this.link?.leave(id, peer);
    }
    this.closeRoom(id);
  }

  private openRoom(id: string): SignalRoom {
    const timer = setTimeout(() => {
      // The first node whose timer runs out closes the call on every node.
      if (this.rooms.has(id)) this.link?.notify(id, TIMED_OUT);
      this.timeOut(id);
    }, this.limits.timeoutMs);
    timer.unref();
    const room: SignalRoom = { peers: new Set(), timer, joining: 0 };
    this.rooms.set(id, room);
    return room;
  }

  private closeRoom(id: string): void {
    const room = this.rooms.get(id);
    if (room === undefined) return;
    clearTimeout(room.timer);
    this.rooms.delete(id);
  }

  /**
   * A call event relayed from another node to a user connected here: this node learns the call the
   * other node opened (or closed), so its user may answer and end it from here.
   */
  observeRelayed(from: string, to: string, type: unknown): void {
    const pair = userPair(from, to);
    if (type === 'call_offer' && !this.userCalls.has(pair)) this.openUserCall(pair);
    else if (type === 'call_reject' || type === 'call_end') this.closeUserCall(pair);
  }

  private openUserCall(pair: string): void {
    const timer = setTimeout(() => {
      this.counters.calls_timed_out += 1;
      this.closeUserCall(pair);
    }, this.limits.timeoutMs);
    timer.unref();
    this.userCalls.set(pair, { timer });
    this.counters.calls_opened += 1;
  }

  private closeUserCall(pair: string): void {
    const call = this.userCalls.get(pair);
    if (call === undefined) return;
    clearTimeout(call.timer);
    this.userCalls.delete(pair);
  }

  private validCallId(callId: unknown): string {
    if (typeof callId === 'number' && Number.isSafeInteger(callId)) return String(callId);
    if (typeof callId !== 'string' || !CALL_ID.test(callId)) this.refuse('INVALID_CALL_ID', 'call_id must be 1-128 characters of A-Z a-z 0-9 _ . : -');
    return callId;
  }

  private refuseFull(): never {
    this.refuse('CALL_FULL', `A call has at most ${this.limits.maxParticipants} participants`);
  }

  private refuse(code: CallErrorCode, message: string): never {
    this.counters.refused += 1;
    throw new CallError(code, message);
  }
}
