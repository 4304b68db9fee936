import { randomUUID } from 'node:crypto';
import { BASE64_PATTERN, base64DecodedLength, base64LengthFor } from '../../core/encoding.js';
import { ApiError } from '../../core/errors.js';
import { addressKey } from '../../http/address-key.js';
import { type Budget, refusalOf } from '../../http/budget.js';
import { CLOSE, type WsConnection, type WsEndpoint } from '../../http/ws-gateway.js';
import { errorFrame, jsonObjectFrame } from '../../http/ws-frames.js';
import type { BucketPolicy } from '../../rate-limit/rate-limiter.js';
import { TokenBucket } from '../../rate-limit/token-bucket.js';
import { CallError, USER_CALL_EVENTS, type CallService, type UserCallEvent, type UserDelivery } from '../calls/index.js';
import { fairShareRefusal, type QueueCaps, type QueueHub, openQueueSession, type QueuedEvent, type UserQueueStore } from '../queues/index.js';
import type { AccountService } from './account-service.js';

export interface AccountSocketDeps {
  accounts: AccountService;
  queue: UserQueueStore;
  hub: QueueHub;
  calls: CallService;
  frames: BucketPolicy;
  /** encrypted_message budgets: per account (on all its sockets and nodes) and per client address. */
  budgets: { sender: Budget; address: Budget };
  now: () => number;
  limits: { maxConnections: number; maxMessageBytes: number; queue: QueueCaps; pendingTtlSeconds: number };
  onError: (err: unknown) => void;
}

interface Handshake {
  token: string;
  userId?: string;
  refusal?: { code: number; reason: string };
}

/** Pending messages of account `id` live in the shared user queues under this id. */
export const accountQueueId = (userId: string) => `pc:${userId}`;

const BASE64 = new RegExp(BASE64_PATTERN);
const isCallEvent = (type: unknown): type is UserCallEvent => USER_CALL_EVENTS.includes(type as UserCallEvent);

/** This process's account sockets (the capacity count), and live delivery of call events on any node. */
export class AccountSockets implements UserDelivery {
  private readonly byUser = new Map<string, WsConnection>();
  private open = 0;

  constructor(private readonly hub: QueueHub) {}

  count(): number {
    return this.open;
  }

  add(userId: string, connection: WsConnection): void {
    this.open += 1;
    this.byUser.set(userId, connection);
  }

  remove(userId: string, connection: WsConnection): void {
    this.open -= 1;
    if (this.byUser.get(userId) === connection) this.byUser.delete(userId);
  }

  /** Call events are not queued: written at once here, or through the bus to the node holding the socket; false when none does. */
  async deliver(userId: string, frame: Record<string, unknown>): Promise<boolean> {
    const connection = this.byUser.get(userId);
    if (connection !== undefined) {
      connection.sendNow(JSON.stringify(frame));
      return true;
    }
    const queueId = accountQueueId(userId);
    if (!(await this.hub.isOnline(queueId))) return false;
    await this.hub.notify(queueId, { kind: 'frame', frame });
    return true;
  }
}

/**
 * The private-comm socket `/ws?token=<account token>`: pending messages are flushed on connect and
 * removed once written, `encrypted_message` is queued for the recipient (and so reaches them live or
 * later), call events go to the call service. A newer connection of the same account replaces this one.
 */
export function accountSocketEndpoint(deps: AccountSocketDeps, sockets: AccountSockets): WsEndpoint<Handshake> {
  const { accounts, queue, hub, calls, limits, now } = deps;
  const maxPayloadChars = base64LengthFor(limits.maxMessageBytes);
  const readerOptions = {
    store: queue,
    hub,
    now,
    removeOn: 'written' as const,
    window: 100,
    redeliverAfterMs: 0,
    single: true,
    frame: (event: QueuedEvent) => event.body,
    onError: deps.onError,
  };

  const relayMessage = async (from: string, address: string, frame: Record<string, unknown>): Promise<string> => {
    const { recipient_id: to, payload } = frame;
    if (typeof to !== 'string' || to.length > 64) return errorFrame('INVALID_RECIPIENT', 'recipient_id must be a user id');
    const tooLarge = () => errorFrame('MESSAGE_TOO_LARGE', `payload is larger than ${limits.maxMessageBytes} bytes`);
    if (typeof payload !== 'string') return errorFrame('INVALID_PAYLOAD', 'payload must be standard base64 with padding');
    // Longer than any base64 of max_message_size bytes: too large (checked before the pattern, which is linear in the length).
    if (payload.length > maxPayloadChars) return tooLarge();
    if (!BASE64.test(payload)) return errorFrame('INVALID_PAYLOAD', 'payload must be standard base64 with padding');
    if (base64DecodedLength(payload) > limits.maxMessageBytes) return tooLarge();
    const refusal = (await refusalOf(deps.budgets.sender, from)) ?? (await refusalOf(deps.budgets.address, address));
    if (refusal !== undefined) return errorFrame(refusal.code, refusal.detail);
    if (!(await accounts.exists(to))) return errorFrame('RECIPIENT_NOT_FOUND', 'No account has this recipient_id');
    const at = now();
    const messageId = randomUUID();
    const body = JSON.stringify({ type: 'encrypted_message', sender_id: from, payload, timestamp: new Date(at * 1000).toISOString(), message_id: messageId });
    const queueId = accountQueueId(to);
    const result = await queue.append(
      { recipientId: queueId, eventId: messageId, body, createdAt: at, expiresAt: at + limits.pendingTtlSeconds, origin: { sender: from, address } },
      limits.queue,
    );
    if (result.status === 'full') {
      const { code, detail } =
        result.cap === 'recipient' ? { code: 'QUEUE_FULL', detail: "The recipient's queue is full; retry later" } : fairShareRefusal(result.cap);
      return errorFrame(code, detail);
    }
    await hub.notify(queueId, result.status === 'queued' ? { kind: 'queued', event: result.event } : { kind: 'queued' });
    return JSON.stringify({ type: 'sent', message_id: messageId, recipient_id: to });
  };

  const handle = async (connection: WsConnection, userId: string, frame: Record<string, unknown>): Promise<void> => {
    const { type } = frame;
    if (type === 'ping') return connection.sendNow('{"type":"pong"}');
    if (type === 'encrypted_message') return connection.sendNow(await relayMessage(userId, addressKey(connection.ip), frame));
    if (!isCallEvent(type)) return connection.sendNow(errorFrame('UNKNOWN_TYPE', 'type must be encrypted_message, a call event or ping'));
    const { type: _t, recipient_id: to, ...fields } = frame;
    if (typeof to !== 'string') return connection.sendNow(errorFrame('INVALID_RECIPIENT', 'recipient_id must be a user id'));
    try {
      await calls.relayUserEvent(userId, to, type, fields);
    } catch (err) {
      if (!(err instanceof CallError)) throw err;
      connection.sendNow(errorFrame(err.code, err.message));
    }
  };

  return {
    name: 'account',
    maxPayload: maxPayloadChars + 4096,
    // `/ws?recipient=...&token=...` is Whispr's push socket with its token in the query.
    routes: [{ path: '/ws', query: 'token', unless: ['recipient'] }],
    parse: ({ url }) => ({ token: url.searchParams.get('token') ?? '' }),
    // Refusals are sent as close codes after the upgrade (1008 bad token, 1013 full), as the docs of the original promise.
    async authorize(handshake) {
      const userId = await accounts.registeredAccountOf(handshake.token);
      if (userId === undefined) handshake.refusal = { code: CLOSE.policy, reason: 'Invalid or expired token' };
      else if (sockets.count() >= limits.maxConnections) handshake.refusal = { code: CLOSE.tryAgainLater, reason: 'Server at capacity' };
      else handshake.userId = userId;
    },
    onConnection(connection, handshake) {
      const { userId, refusal } = handshake;
      if (userId === undefined) return connection.close(refusal?.code ?? CLOSE.policy, refusal?.reason ?? 'Invalid or expired token');
      sockets.add(userId, connection);
      connection.ws.once('close', () => sockets.remove(userId, connection));
      openQueueSession(connection, accountQueueId(userId), {
        ...readerOptions,
        onRelayedFrame: (frame) => calls.observeRelayed(String(frame.sender_id), userId, frame.type),
      });
      const budget = new TokenBucket(deps.frames, Date.now());
      // Frames are handled one after the other, so a sender's messages are queued in the order sent.
      let previous = Promise.resolve();
      connection.ws.on('message', (data, isBinary) => {
        if (budget.take(Date.now()) > 0) return connection.close(CLOSE.policy, 'too many frames');
        const frame = jsonObjectFrame(data, isBinary);
        if (frame instanceof ApiError) return connection.sendNow(errorFrame(frame.code, frame.detail));
        previous = previous
          .then(() => handle(connection, userId, frame))
          .catch((err: unknown) => {
            deps.onError(err);
            connection.sendNow(errorFrame('INTERNAL_ERROR', 'The frame could not be processed; retry'));
          });
      });
    },
  };
}
