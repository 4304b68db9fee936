import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { bearerToken } from '../../http/bearer-token.js';
import type { KeyAuthorizer } from '../auth/index.js';
import type { GroupAttachmentService } from './group-attachment-service.js';
import { F, actorOf, fields, queryFields, optional, readInput, required, requiredFlag } from './group-input.js';
import type { GroupService } from './group-service.js';
import { type GroupBudgets, spendJoin } from './group-write-budget.js';

export interface GroupsHttpOptions {
  groups: GroupService;
  attachments: GroupAttachmentService;
  authorizer: KeyAuthorizer;
  joins: GroupBudgets['joins'];
}

const tags = ['groups'];
/** Without `max`, a bulk removal takes everyone since `since` (F.limit's ceiling is above any member cap). */
const MAX_RECENT = 100_000;

/** /groups: creation, membership, roles, invites, flags and deletion (the original routes and shapes). */
export const groupsHttp: FastifyPluginAsync<GroupsHttpOptions> = async (app, { groups, attachments, authorizer, joins }) => {
  app.post(
    '/create',
    { schema: { tags, summary: 'Create a group with a #general channel', ...fields({ name: F.name, is_public: F.flag, owner_id: F.key }) } },
    async (request) => {
      const input = readInput(request);
      const actor = await actorOf(authorizer, request, input, 'owner_id');
      return groups.create(actor, required(input, 'name'), input.is_public === undefined ? false : requiredFlag(input, 'is_public'));
    },
  );

  app.post(
    '/join',
    { schema: { tags, summary: 'Join by invite code, or ask to join by group id', ...fields({ user_id: F.key, invite_code: F.inviteCode, group_id: F.id }) } },
    async (request) => {
      const input = readInput(request);
      const actor = await actorOf(authorizer, request, input);
      await spendJoin(joins, actor, request);
      return groups.join(actor, optional(input, 'invite_code'), optional(input, 'group_id'));
    },
  );

  const approve = {
    schema: { tags, summary: 'Approve a pending join request (owner/admin)', ...fields({ group_id: F.id, approve_user_id: F.key, user_id: F.key }) },
  };
  const approveHandler = async (request: FastifyRequest) => {
    const input = readInput(request);
    return groups.approve(await actorOf(authorizer, request, input), required(input, 'group_id'), required<string>(input, 'approve_user_id').toLowerCase());
  };
  app.post('/approve', approve, approveHandler);
  app.post('/members/approve', approve, approveHandler);

  app.post(
    '/leave',
    { schema: { tags, summary: 'Leave a group (moves the key version forward)', ...fields({ group_id: F.id, user_id: F.key }) } },
    async (request) => {
      const input = readInput(request);
      return groups.leave(await actorOf(authorizer, request, input), required(input, 'group_id'));
    },
  );

  app.get('/list', { schema: { tags, summary: "The caller's groups", ...queryFields({ user_id: F.key }) } }, async (request) => {
    const input = readInput(request);
    return groups.list(await actorOf(authorizer, request, input));
  });

  app.get(
    '/info',
    { schema: { tags, summary: 'One group (private groups: members only)', ...queryFields({ group_id: F.id, user_id: F.key }) } },
    async (request) => {
      const input = readInput(request);
      // Public groups are visible to anyone, so a caller without identity is no error here.
      const identified = bearerToken(request.headers) !== undefined || input.user_id !== undefined;
      return groups.info(identified ? await actorOf(authorizer, request, input) : undefined, required(input, 'group_id'));
    },
  );

  for (const [path, defaultLimit] of [
    ['/discover', 50],
    ['/public/list', 200],
  ] as const) {
    app.get(
      path,
      { schema: { tags, summary: 'Public groups, optionally filtered by name', ...queryFields({ query: Type.String({ maxLength: 100 }), limit: F.limit }) } },
      async (request) => {
        const input = readInput(request);
        return groups.discover(optional(input, 'query'), Math.min(optional<number>(input, 'limit') ?? defaultLimit, 500));
      },
    );
  }

  app.post(
    '/rename',
    { schema: { tags, summary: 'Rename a group (owner/admin)', ...fields({ group_id: F.id, new_name: F.name, user_id: F.key }) } },
    async (request) => {
      const input = readInput(request);
      return groups.rename(await actorOf(authorizer, request, input), required(input, 'group_id'), required(input, 'new_name'));
    },
  );

  app.post(
    '/invites/rotate',
    { schema: { tags, summary: 'New invite code (owner/admin)', ...fields({ group_id: F.id, user_id: F.key }) } },
    async (request) => {
      const input = readInput(request);
      return groups.rotateInvite(await actorOf(authorizer, request, input), required(input, 'group_id'));
    },
  );

  app.post(
    '/members/ban',
    { schema: { tags, summary: 'Ban a member (moves the key version forward)', ...fields({ group_id: F.id, target_user_id: F.key, user_id: F.key }) } },
    async (request) => {
      const input = readInput(request);
      return groups.ban(await actorOf(authorizer, request, input), required(input, 'group_id'), required<string>(input, 'target_user_id').toLowerCase());
    },
  );

  // New routes (no original client calls them): a bearer token in every security mode.
  const recentFields = { group_id: F.id, since: F.timestamp, max: F.limit };
  app.post(
    '/members/remove_recent',
    {
      schema: {
        tags,
        summary: 'Remove the members who joined since a time, in one call (owner/admin; moves the key version forward)',
        ...fields({ ...recentFields, ban: F.flag }),
      },
    },
    async (request) => {
      const input = readInput(request);
      const actor = await authorizer.tokenSubject(bearerToken(request.headers));
      const ban = input.ban === undefined ? false : requiredFlag(input, 'ban');
      return groups.removeRecentMembers(actor, required(input, 'group_id'), required(input, 'since'), optional(input, 'max') ?? MAX_RECENT, ban);
    },
  );
  app.post(
    '/requests/reject_recent',
    { schema: { tags, summary: 'Reject the join requests made since a time, in one call (owner/admin)', ...fields(recentFields) } },
    async (request) => {
      const input = readInput(request);
      const actor = await authorizer.tokenSubject(bearerToken(request.headers));
      return groups.rejectRecentRequests(actor, required(input, 'group_id'), required(input, 'since'), optional(input, 'max') ?? MAX_RECENT);
    },
  );

  app.post(
    '/rekey',
    { schema: { tags, summary: 'Move the key version forward (owner/admin)', ...fields({ group_id: F.id, user_id: F.key }) } },
    async (request) => {
      const input = readInput(request);
      return groups.rekey(await actorOf(authorizer, request, input), required(input, 'group_id'));
    },
  );

  app.post(
    '/members/transfer_owner',
    { schema: { tags, summary: 'Hand ownership to a member (owner)', ...fields({ group_id: F.id, new_owner_user_id: F.key, user_id: F.key }) } },
    async (request) => {
      const input = readInput(request);
      return groups.transferOwner(
        await actorOf(authorizer, request, input),
        required(input, 'group_id'),
        required<string>(input, 'new_owner_user_id').toLowerCase(),
      );
    },
  );

  app.post(
    '/public/set',
    { schema: { tags, summary: 'Make a group public or private (owner/admin)', ...fields({ group_id: F.id, is_public: F.flag, user_id: F.key }) } },
    async (request) => {
      const input = readInput(request);
      return groups.setFlag(await actorOf(authorizer, request, input), required(input, 'group_id'), 'is_public', requiredFlag(input, 'is_public'));
    },
  );

  for (const flag of ['server_distribute', 'server_store_history'] as const) {
    app.post(
      `/${flag}/set`,
      { schema: { tags, summary: `Set ${flag} (owner/admin)`, ...fields({ group_id: F.id, enabled: F.flag, user_id: F.key }) } },
      async (request) => {
        const input = readInput(request);
        return groups.setFlag(await actorOf(authorizer, request, input), required(input, 'group_id'), flag, requiredFlag(input, 'enabled'));
      },
    );
  }

  app.delete(
    '/delete',
    { schema: { tags, summary: 'Delete a group with its channels, messages and attachments (owner/admin)', ...fields({ group_id: F.id, user_id: F.key }) } },
    async (request) => {
      const input = readInput(request);
      const held = await groups.delete(await actorOf(authorizer, request, input), required(input, 'group_id'));
      await attachments.release(held);
      return { status: 'deleted' as const };
    },
  );
};
