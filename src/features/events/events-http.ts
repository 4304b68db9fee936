import type { FastifyPluginAsync, onRequestHookHandler } from 'fastify';
import { Type } from 'typebox';
import { BASE64_PATTERN } from '../../core/encoding.js';
import { FASTAPI_ROUTE } from '../../http/error-handler.js';
import type { ChatIdentity } from './chat-identity.js';
import type { EventInput, EventService } from './event-service.js';

const ID = (description: string) => Type.String({ minLength: 1, maxLength: 128, description });

export interface EventsHttpOptions {
  events: EventService;
  identity: ChatIdentity;
  maxPayloadChars: number;
  /** Refuses callers without an admin token (the original left the cleanup route open to anyone). */
  requireAdmin: onRequestHookHandler;
}

/** POST /api/events (one event into the recipient's queue) and the admins' expiry sweep. */
export const eventsHttp: FastifyPluginAsync<EventsHttpOptions> = async (app, { events, identity, maxPayloadChars, requireAdmin }) => {
  app.post(
    '/api/events',
    {
      ...FASTAPI_ROUTE,
      bodyLimit: maxPayloadChars + 65_536,
      schema: {
        summary: "Queue an event for its recipient (sender_id must be the caller); pushed to the recipient's sockets until acknowledged",
        tags: ['chat-app'],
        body: Type.Object({
          event_id: Type.Optional(ID('Client-chosen id (default: a new UUID); posting the same id again does not queue it twice')),
          recipient_id: ID('Recipient user id'),
          sender_id: Type.Union([ID('Sender user id: must be the caller'), Type.Null()]),
          event_type: Type.String({ minLength: 1, maxLength: 64, description: 'MESSAGE, GROUP_KEY_UPDATE, TEMP_SESSION_START, ... (not interpreted)' }),
          sequence: Type.Integer({ description: 'Ignored: the server assigns it' }),
          timestamp: Type.Integer({ minimum: 0, description: 'Unix milliseconds; 0: the server time' }),
          metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
          encrypted_payload: Type.String({ pattern: BASE64_PATTERN, maxLength: maxPayloadChars }),
        }),
        response: { 200: Type.Object({ success: Type.Boolean(), event_id: Type.String(), delivered: Type.Boolean(), queued: Type.Boolean() }) },
      },
    },
    async (request) => events.post(await identity.caller(request.headers), request.body as EventInput),
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
