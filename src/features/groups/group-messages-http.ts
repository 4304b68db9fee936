import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { base64LengthFor } from '../../core/encoding.js';
import { bearerToken } from '../../http/bearer-token.js';
import type { KeyAuthorizer } from '../auth/index.js';
import { F, actorOf, fields, queryFields, optional, readInput, required } from './group-input.js';
import type { GroupMessageService, GroupSend } from './group-message-service.js';
import type { GroupService } from './group-service.js';

const tags = ['group messages and keys'];

/** /groups/messages/* and /groups/members/keys*: history, live sends and sealed group keys. */
export const groupMessagesHttp: FastifyPluginAsync<{
  messages: GroupMessageService;
  groups: GroupService;
  authorizer: KeyAuthorizer;
  maxCiphertextBytes: number;
}> = async (app, { messages, groups, authorizer, maxCiphertextBytes }) => {
  app.post(
    '/messages/send',
    {
      bodyLimit: base64LengthFor(maxCiphertextBytes) + 8192,
      schema: {
        tags,
        summary: 'Post a ciphertext to a channel; a stale key_version is 409',
        body: Type.Object({
          group_id: F.id,
          channel_id: F.id,
          sender_id: F.key,
          ciphertext: Type.String({ minLength: 1 }),
          nonce: Type.String({ maxLength: 64 }),
          key_version: Type.Integer({ minimum: 1 }),
          timestamp: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
          // The original server took an object and stored it as JSON text; a string is kept as given.
          attachment_meta: Type.Optional(Type.Union([Type.String(), Type.Record(Type.String(), Type.Unknown()), Type.Null()])),
        }),
      },
    },
    async (request) => {
      const body = request.body as Omit<GroupSend, 'attachment_meta'> & { attachment_meta?: string | object | null };
      const actor = await authorizer.actor(bearerToken(request.headers), body.sender_id, 'sender_id');
      const meta = body.attachment_meta;
      return messages.send(actor, { ...body, attachment_meta: meta !== null && typeof meta === 'object' ? JSON.stringify(meta) : meta });
    },
  );

  app.post(
    '/messages/fetch',
    {
      schema: {
        tags,
        summary: 'Channel history, oldest first after `since`; `has_more`/`next_since` page forward',
        ...fields({ group_id: F.id, channel_id: F.id, since: Type.Union([F.timestamp, Type.Null()]), limit: F.limit, user_id: F.key }),
      },
    },
    async (request) => {
      const input = readInput(request);
      const actor = await actorOf(authorizer, request, input);
      return messages.fetch(
        actor,
        required(input, 'group_id'),
        required(input, 'channel_id'),
        optional<number>(input, 'since'),
        optional<number>(input, 'limit'),
      );
    },
  );

  app.get(
    '/members/keys',
    {
      schema: {
        tags,
        summary: 'Members and their sealed keys at the current version (members only; compat mode without user_id: anyone, as the original)',
        ...queryFields({ group_id: F.id, user_id: F.key }),
      },
    },
    async (request) => {
      const input = readInput(request);
      const actor = await authorizer.actorIfNamed(bearerToken(request.headers), optional(input, 'user_id'), 'user_id');
      return groups.memberKeys(actor, required(input, 'group_id'));
    },
  );

  app.post(
    '/members/keys/update',
    {
      schema: {
        tags,
        summary: "Store user_id's sealed group key (the member itself, or an owner/admin distributing keys)",
        ...fields({
          group_id: F.id,
          user_id: F.key,
          encrypted_key_b64: Type.String({ maxLength: 1024 }),
          key_version: Type.Integer({ minimum: 1 }),
          by_user_id: F.key,
        }),
      },
    },
    async (request) => {
      const input = readInput(request);
      const target = required<string>(input, 'user_id').toLowerCase();
      // user_id names whose key this is; the actor is the token's subject (compat: by_user_id, else user_id).
      const actor = await authorizer.actor(
        bearerToken(request.headers),
        authorizer.mode === 'compat' ? (optional(input, 'by_user_id') ?? target) : optional(input, 'by_user_id'),
        'by_user_id',
      );
      return groups.updateMemberKey(actor, required(input, 'group_id'), target, required(input, 'encrypted_key_b64'), required<number>(input, 'key_version'));
    },
  );
};
