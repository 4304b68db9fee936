import { ApiError, badRequest, forbidden } from '../../core/errors.js';
import { inputFault } from '../../http/input-faults.js';
import { CLOSE, type WsEndpoint } from '../../http/ws-gateway.js';
import { errorFrame, jsonObjectFrame } from '../../http/ws-frames.js';
import type { BucketPolicy } from '../../rate-limit/rate-limiter.js';
import { TokenBucket } from '../../rate-limit/token-bucket.js';
import { bearerToken } from '../../http/bearer-token.js';
import type { SecurityMode } from '../auth/index.js';
import { type QueueHub, openQueueSession, type UserQueueStore } from '../queues/index.js';
import type { ChatIdentity } from './chat-identity.js';
import { chatQueueId, eventFrame } from './chat-queue.js';

export interface EventsSocketDeps {
  queue: UserQueueStore;
  hub: QueueHub;
  identity: ChatIdentity;
  mode: SecurityMode;
  frames: BucketPolicy;
  now: () => number;
  /** Unacknowledged events in flight per socket, and how long until they are sent again. */
  delivery: { window: number; redeliverAfterMs: number };
  onError: (err: unknown) => void;
}

const MAX_CLIENT_FRAME = 4096;

const PONG = '{"type":"pong"}';

/**
 * The chat-app socket `/ws/{user_id}`: the user's unacknowledged events in sequence order, then live
 * ones; `{"type":"ACK","event_id"}` removes one, `{"type":"ping"}` gets a pong. Strict mode needs the
 * user's ID token (`?token=` or Authorization); compat mode trusts the path, as the original did.
 */
export function eventsSocketEndpoint(deps: EventsSocketDeps): WsEndpoint<string> {
  const readerOptions = {
    store: deps.queue,
    hub: deps.hub,
    now: deps.now,
    removeOn: 'ack' as const,
    window: deps.delivery.window,
    redeliverAfterMs: deps.delivery.redeliverAfterMs,
    single: false,
    frame: eventFrame,
    onError: deps.onError,
  };
  return {
    name: 'events',
    maxPayload: MAX_CLIENT_FRAME,
    // Whispr's push socket owns the segments shaped as a key (`/ws/{64 hex}`); every other one is a user id.
    routes: [{ under: '/ws' }],
    parse({ segment = '' }) {
      try {
        return decodeURIComponent(segment);
      } catch {
        throw badRequest('INVALID_USER_ID', 'The user id in the path is not valid percent-encoding');
      }
    },
    async authorize(userId, req, url) {
      // The path's user id is looked up in the event queues (compat mode too): the same text rule as any input.
      const fault = inputFault(userId);
      if (fault !== undefined) throw fault;
      if (deps.mode === 'compat') return;
      const token = bearerToken(req.headers, url.searchParams);
      if (token === undefined) throw new ApiError(401, 'TOKEN_REQUIRED', 'An ID token is required (?token= or Authorization: Bearer)');
      if ((await deps.identity.userIdOfToken(token)) !== userId) throw forbidden('USER_MISMATCH', 'The ID token is not for this user_id');
    },
    onConnection(connection, userId) {
      const reader = openQueueSession(connection, chatQueueId(userId), readerOptions);
      const budget = new TokenBucket(deps.frames, Date.now());
      const acking = new Set<Promise<unknown>>();
      connection.ws.on('message', (data, isBinary) => {
        if (budget.take(Date.now()) > 0) return connection.close(CLOSE.policy, 'too many frames');
        const frame = jsonObjectFrame(data, isBinary);
        if (frame instanceof ApiError) return connection.sendNow(errorFrame(frame.code, frame.detail));
        if (frame.type === 'ping') {
          // The pong follows every ACK received before the ping, so a client can rely on them being applied.
          if (acking.size === 0) return connection.sendNow(PONG);
          return void Promise.allSettled([...acking]).then(() => connection.sendNow(PONG));
        }
        if (frame.type !== 'ACK') return connection.sendNow(errorFrame('INVALID_FRAME', 'Frames are {"type":"ACK","event_id":...} or {"type":"ping"}'));
        const eventId = frame.event_id;
        if (typeof eventId !== 'string' || eventId.length > 128) return connection.sendNow(errorFrame('INVALID_EVENT_ID', 'event_id must be a string'));
        // The path's user, never the frame's recipient_id: a client acknowledges only its own events.
        const applied: Promise<unknown> = reader
          .ack(eventId)
          .catch(deps.onError)
          .finally(() => acking.delete(applied));
        acking.add(applied);
      });
    },
  };
}
