import type { FastifyPluginAsync, onRequestHookHandler } from 'fastify';
import { Type } from 'typebox';
import { BASE64_PATTERN } from '../../core/encoding.js';
import { addressKey } from '../../http/address-key.js';
import { type Budget, spend } from '../../http/budget.js';
import { FASTAPI_ROUTE } from '../../http/error-handler.js';
import type { ChatIdentity } from './chat-identity.js';
import type { EventInput } from './chat-queue.js';
import type { EventService } from './event-service.js';

const ID = (description: string) => Type.String({ minLength: 1, maxLength: 128, description });

const POST_ANSWER = Type.Object({
  success: Type.Boolean(),
  event_id: Type.String(),
  recipients: Type.Optional(Type.Integer({ description: 'Group events only: members, the sender aside, holding a copy' })),
  queue_full: Type.Optional(
    Type.Array(Type.String(), {
      description: 'Group events only: members whose queue was full and who got no copy; post the same event_id again later to queue theirs',
    }),
  ),
});

export interface EventsHttpOptions {
  events: EventService;
  identity: ChatIdentity;
  maxPayloadChars: number;
  /** The per-address budget of every write, spent before the body is read. */
  ipLimit: onRequestHookHandler;
  /** Events per second per chat-app user. */
  senderBudget: Budget;
  /** Refuses callers without an admin token (the original left the cleanup route open to anyone). */
  requireAdmin: onRequestHookHandler;
}

/** POST /api/events (one event into the recipient's queue) and the admins' expiry sweep. */
export const eventsHttp: FastifyPluginAsync<EventsHttpOptions> = async (app, { events, identity, maxPayloadChars, ipLimit, senderBudget, requireAdmin }) => {
  app.post(
    '/api/events',
    {
      ...FASTAPI_ROUTE,
      onRequest: ipLimit,
      bodyLimit: maxPayloadChars + 65_536,
      schema: {
        summary: "Queue an event for its recipient (sender_id must be the caller); pushed to the recipient's sockets until acknowledged",
        description:
          'recipient_id names a registered user, or else a chat-app group the sender belongs to (403 NOT_GROUP_MEMBER otherwise): ' +
          'then each other member gets one copy in their own queue, recipient_id still the group; the sender gets none. ' +
          'A member whose queue is full is left out and named in queue_full; 429 QUEUE_FULL only when every queue is full. ' +
          "One sender, and one client address, may hold only a share of a recipient's queue: 429 SENDER_QUEUE_FULL / ADDRESS_QUEUE_FULL.",
        tags: ['chat-app'],
        body: Type.Object({
          event_id: Type.Optional(ID('Client-chosen id (default: a new UUID); posting the same id again does not queue it twice')),
          recipient_id: ID('Recipient user id, or the id of a chat-app group the sender belongs to'),
          sender_id: Type.Union([ID('Sender user id: must be the caller'), Type.Null()]),
          event_type: Type.String({ minLength: 1, maxLength: 64, description: 'MESSAGE, GROUP_KEY_UPDATE, TEMP_SESSION_START, ... (not interpreted)' }),
          sequence: Type.Integer({ description: 'Ignored: the server assigns it' }),
          timestamp: Type.Integer({ minimum: 0, description: 'Unix milliseconds; 0: the server time' }),
          metadata: Type.Optional(
            Type.Record(Type.String(), Type.Unknown(), { description: 'Passed on as sent (the Android client: chat_id, and group_id on a group message)' }),
          ),
          encrypted_payload: Type.String({ pattern: BASE64_PATTERN, maxLength: maxPayloadChars }),
        }),
        response: { 200: POST_ANSWER },
      },
    },
    async (request) => {
      const caller = await identity.caller(request.headers);
      await spend(senderBudget, caller);
      return events.post(caller, addressKey(request.ip), request.body as EventInput);
    },
  );

  app.post(
    '/api/admin/cleanup-expired-events',
    {
      ...FASTAPI_ROUTE,
      onRequest: requireAdmin,
      schema: {
        summary: 'Delete expired events now (the cleanup job also does it on its own schedule); admin token required',
        tags: ['chat-app', 'admin'],
        response: { 200: Type.Object({ deleted_count: Type.Integer() }) },
      },
    },
    async () => ({ deleted_count: await events.purgeExpired() }),
  );
};
