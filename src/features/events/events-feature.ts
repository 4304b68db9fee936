import { feature } from '../../app/feature.js';
import { base64LengthFor } from '../../core/encoding.js';
import { perSecond } from '../../rate-limit/policies.js';
import { requireAdmin } from '../admin/index.js';
import { EventService } from './event-service.js';
import { eventsHttp } from './events-http.js';
import { eventsSocketEndpoint } from './events-socket.js';
import { rememberFoundUsers } from './found-users.js';

/** Recipients remembered as registered (about 100 bytes each). */
const FOUND_USERS_KEPT = 50_000;

const DAY_SECONDS = 86_400;

/** Chat-app events: POST /api/events and the /ws/{user_id} socket over the shared user queues. */
export const eventsFeature = feature({
  name: 'events',
  needs: [],
  options: (config) => ({
    limits: {
      ttlSeconds: config.event_ttl_days * DAY_SECONDS,
      queue: { total: config.max_events_per_recipient, perSender: config.max_queued_per_sender, perAddress: config.max_queued_per_address },
    },
    eventsPerSecond: config.max_events_per_second,
    maxPayloadChars: base64LengthFor(config.max_message_size),
    window: config.event_window,
    redeliverAfterMs: config.event_redelivery_seconds * 1000,
    framesPerSecond: config.websocket_frames_per_second,
  }),
  async register({ app, gateway, platform }, o) {
    const { storage, hub, now, mode, chatSignIn: identity, onError } = platform;
    const queue = storage.userQueues;
    const events = new EventService({
      queue,
      hub,
      isUser: rememberFoundUsers(async (userId) => (await storage.chatUsers.get(userId)) !== undefined, FOUND_USERS_KEPT),
      groupMembers: async (groupId) => (await storage.chatGroups.get(groupId))?.memberIds,
      now,
      limits: o.limits,
    });
    await app.register(eventsHttp, {
      events,
      identity,
      maxPayloadChars: o.maxPayloadChars,
      ipLimit: platform.ipLimit,
      senderBudget: {
        limiter: platform.limiter('event-sender', perSecond(o.eventsPerSecond, 2)),
        code: 'RATE_LIMITED',
        detail: 'Too many events from this user',
      },
      requireAdmin: requireAdmin(platform.adminAuth),
    });
    const rate = o.framesPerSecond;
    gateway.register(
      eventsSocketEndpoint({
        queue,
        hub,
        identity,
        mode,
        // A client acknowledges a whole window of events at once: its budget must allow that burst.
        frames: { ratePerSecond: Math.max(rate, o.window), burst: Math.max(2 * rate, 2 * o.window) },
        now,
        delivery: { window: o.window, redeliverAfterMs: o.redeliverAfterMs },
        onError,
      }),
    );
    return { provides: { chatEvents: events } };
  },
});
