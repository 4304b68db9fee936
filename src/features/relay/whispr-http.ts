import type { FastifyPluginAsync, onRequestHookHandler } from 'fastify';
import { Type } from 'typebox';
import { HEX_KEY_PATTERN, base64LengthFor } from '../../core/encoding.js';
import { addressKey } from '../../http/address-key.js';
import { bearerToken } from '../../http/bearer-token.js';
import type { KeyAuthorizer } from '../auth/index.js';
import type { RelayService } from './relay-service.js';

export interface RelayHttpOptions {
  relay: RelayService;
  authorizer: KeyAuthorizer;
  ipLimit: onRequestHookHandler;
  maxMessageBytes: number;
}

const HexKey = Type.String({ pattern: HEX_KEY_PATTERN, description: '32-byte key, hex' });

const InboxItem = Type.Object({
  id: Type.Integer(),
  from: Type.String(),
  enc_pub: Type.String(),
  message: Type.String(),
  signature: Type.String(),
  timestamp: Type.Number(),
});

/** The original Whispr direct-message routes: POST /send and GET /inbox/{key}. */
export const relayHttp: FastifyPluginAsync<RelayHttpOptions> = async (app, { relay, authorizer, ipLimit, maxMessageBytes }) => {
  app.post(
    '/send',
    {
      onRequest: ipLimit,
      bodyLimit: base64LengthFor(maxMessageBytes) + 4096,
      schema: {
        summary: 'Queue a signed, sealed direct message for a recipient',
        tags: ['direct messages'],
        body: Type.Object({
          to: HexKey,
          from_: HexKey,
          enc_pub: HexKey,
          message: Type.String({ minLength: 1, description: 'base64 sealed box' }),
          signature: Type.String({ maxLength: 200, description: 'base64 Ed25519 signature over the decoded message' }),
          timestamp: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
        }),
        response: {
          200: Type.Object({ status: Type.Literal('ok'), id: Type.Integer(), timestamp: Type.Number(), duplicate: Type.Boolean() }),
        },
      },
    },
    async (request) => {
      const outcome = await relay.send(request.body as Parameters<RelayService['send']>[0], addressKey(request.ip));
      return { status: 'ok' as const, ...outcome };
    },
  );

  app.get(
    '/inbox/:recipient_key',
    {
      schema: {
        summary: 'Fetch and remove the queued messages of a recipient',
        tags: ['direct messages'],
        params: Type.Object({ recipient_key: HexKey }),
        querystring: Type.Object({ since: Type.Number({ default: 0, minimum: -1e12, maximum: 1e12 }) }),
        response: { 200: Type.Object({ messages: Type.Array(InboxItem) }) },
      },
    },
    async (request) => {
      const { recipient_key } = request.params as { recipient_key: string };
      const { since } = request.query as { since: number };
      await authorizer.authorize(bearerToken(request.headers), recipient_key);
      const messages = await relay.drainInbox(recipient_key, since);
      return { messages };
    },
  );
};
