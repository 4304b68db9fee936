import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import type { Config } from '../../config/settings.js';
import { base64LengthFor } from '../../core/encoding.js';
import type { WsGateway } from '../../http/ws-gateway.js';
import type { QueueHub } from '../queues/queue-hub.js';
import type { UserQueueStore } from '../queues/user-queue-store.js';
import type { ChatIdentity } from './chat-identity.js';
import { EventService } from './event-service.js';
import { eventsHttp } from './events-http.js';
import { eventsSocketEndpoint } from './events-socket.js';

const DAY_SECONDS = 86_400;

/** Chat-app events: POST /api/events and the /ws/{user_id} socket over the shared user queues. */
export async function registerEvents(
  app: FastifyInstance,
  gateway: WsGateway,
  deps: {
    config: Config;
    queue: UserQueueStore;
    hub: QueueHub;
    identity: ChatIdentity;
    isUser: (userId: string) => Promise<boolean>;
    /** The members of a chat-app group (undefined: no such group), for events addressed to it. */
    groupMembers: (groupId: string) => Promise<readonly string[] | undefined>;
    requireAdmin: onRequestHookHandler;
    now: () => number;
    onError: (err: unknown) => void;
  },
): Promise<EventService> {
  const { config, queue, hub, now } = deps;
  const events = new EventService({
    queue,
    hub,
    isUser: deps.isUser,
    groupMembers: deps.groupMembers,
    now,
    limits: { ttlSeconds: config.event_ttl_days * DAY_SECONDS, maxQueued: config.max_events_per_recipient },
  });
  await app.register(eventsHttp, { events, identity: deps.identity, maxPayloadChars: base64LengthFor(config.max_message_size), requireAdmin: deps.requireAdmin });
  const window = config.event_window;
  const rate = config.websocket_frames_per_second;
  gateway.register(
    eventsSocketEndpoint({
      queue,
      hub,
      identity: deps.identity,
      mode: config.security,
      // A client acknowledges a whole window of events at once: its budget must allow that burst.
      frames: { ratePerSecond: Math.max(rate, window), burst: Math.max(2 * rate, 2 * window) },
      now,
      delivery: { window, redeliverAfterMs: config.event_redelivery_seconds * 1000 },
      onError: deps.onError,
    }),
  );
  return events;
}
