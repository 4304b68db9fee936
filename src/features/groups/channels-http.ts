import type { FastifyPluginAsync } from 'fastify';
import type { KeyAuthorizer } from '../auth/index.js';
import type { ChannelService } from './channel-service.js';
import { F, actorOf, fields, queryFields, optional, readInput, required, type Input } from './group-input.js';

const tags = ['group channels'];

/** The field as given (null clears it), or undefined when the request does not mention it. */
const metaField = (input: Input, name: string) => (Object.hasOwn(input, name) ? (input[name] as string | null) : undefined);

/** /groups/channels/*: create, rename, delete, list (optionally by type), meta and the caller's role. */
export const channelsHttp: FastifyPluginAsync<{
  channels: ChannelService;
  groupsRole: (actor: string, groupId: string) => Promise<{ role: string }>;
  authorizer: KeyAuthorizer;
}> = async (app, { channels, groupsRole, authorizer }) => {
  app.post(
    '/channels/create',
    {
      schema: {
        tags,
        summary: 'Create a channel (owner/admin); duplicate names are 409',
        ...fields({ group_id: F.id, name: F.name, type: F.channelType, user_id: F.key }),
      },
    },
    async (request) => {
      const input = readInput(request);
      return channels.create(
        await actorOf(authorizer, request, input),
        required(input, 'group_id'),
        required(input, 'name'),
        optional(input, 'type') ?? 'text',
      );
    },
  );

  app.post(
    '/channels/rename',
    { schema: { tags, summary: 'Rename a channel (owner/admin)', ...fields({ channel_id: F.id, name: F.name, user_id: F.key }) } },
    async (request) => {
      const input = readInput(request);
      return channels.rename(await actorOf(authorizer, request, input), required(input, 'channel_id'), required(input, 'name'));
    },
  );

  app.post(
    '/channels/delete',
    { schema: { tags, summary: 'Delete a channel and its messages (owner/admin)', ...fields({ channel_id: F.id, user_id: F.key }) } },
    async (request) => {
      const input = readInput(request);
      return channels.delete(await actorOf(authorizer, request, input), required(input, 'channel_id'));
    },
  );

  app.get(
    '/channels/list',
    { schema: { tags, summary: "A group's channels (members)", ...queryFields({ group_id: F.id, user_id: F.key, type: F.channelType }) } },
    async (request) => {
      const input = readInput(request);
      return channels.list(await actorOf(authorizer, request, input), required(input, 'group_id'), optional(input, 'type'));
    },
  );

  app.get(
    '/channels/meta',
    { schema: { tags, summary: "A channel's topic and description (members)", ...queryFields({ channel_id: F.id, user_id: F.key }) } },
    async (request) => {
      const input = readInput(request);
      return channels.meta(await actorOf(authorizer, request, input), required(input, 'channel_id'));
    },
  );

  app.post(
    '/channels/meta/set',
    {
      schema: {
        tags,
        summary: 'Set topic and/or description (members); query or JSON body',
        ...fields({ channel_id: F.id, user_id: F.key, topic: F.text, description: F.text }),
      },
    },
    async (request) => {
      const input = readInput(request);
      const actor = await actorOf(authorizer, request, input);
      return channels.setMeta(actor, required(input, 'channel_id'), { topic: metaField(input, 'topic'), description: metaField(input, 'description') });
    },
  );

  app.get(
    '/channels/role',
    { schema: { tags, summary: "The caller's role in a group", ...queryFields({ group_id: F.id, user_id: F.key }) } },
    async (request) => {
      const input = readInput(request);
      return groupsRole(await actorOf(authorizer, request, input), required(input, 'group_id'));
    },
  );
};
