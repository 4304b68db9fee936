import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { FASTAPI_ROUTE } from '../../http/error-handler.js';
import { MAX_USER_ID_LENGTH, type ChatAuth } from './chat-auth.js';
import type { ChatGroupService } from './chat-group-service.js';
import { GROUP_DOC, GROUP_ID, USER_ID, groupDoc, userIdList, userIdsOf } from './chat-wire.js';
import { callerOf, requireSignIn } from './signed-in.js';

export interface ChatGroupsHttpOptions {
  groups: ChatGroupService;
  auth: ChatAuth;
  maxMembers: number;
}

const tags = ['chat-app'];
const security = [{ bearer: [] }];
const KEY_VERSION_ANSWER = Type.Object({ success: Type.Boolean(), new_key_version: Type.Integer() });

/**
 * The chat-app group routes, with the original's parameter placement: group_id and name in the
 * query, member ids as a bare JSON array body.
 */
export const chatGroupsHttp: FastifyPluginAsync<ChatGroupsHttpOptions> = async (app, { groups, auth, maxMembers }) => {
  const signedIn = { ...FASTAPI_ROUTE, onRequest: requireSignIn(app, auth) };
  const groupParams = Type.Object({ group_id: GROUP_ID });

  app.post(
    '/api/groups',
    {
      ...signedIn,
      // Room for the most members allowed, each id at full length and quoted.
      bodyLimit: Math.max(65_536, maxMembers * (MAX_USER_ID_LENGTH + 3)),
      schema: {
        tags,
        security,
        summary: 'Create a group (the creator is added to member_ids); key_version starts at 1',
        description: 'Every member must be a registered user.',
        querystring: Type.Object({ group_id: GROUP_ID, name: Type.String({ minLength: 1, maxLength: 100 }) }),
        body: userIdList(maxMembers),
        response: { 200: GROUP_DOC },
      },
    },
    async (request) => {
      const { group_id, name } = request.query as { group_id: string; name: string };
      return groupDoc(await groups.create(callerOf(request), { groupId: group_id, name, memberIds: userIdsOf(request.body) }));
    },
  );

  app.get(
    '/api/groups',
    { ...signedIn, schema: { tags, security, summary: "The caller's groups", response: { 200: Type.Array(GROUP_DOC) } } },
    async (request) => (await groups.listOf(callerOf(request))).map(groupDoc),
  );

  app.get(
    '/api/groups/:group_id',
    {
      ...signedIn,
      schema: {
        tags,
        security,
        summary: 'One group (members only: 403 otherwise, also when it does not exist)',
        params: groupParams,
        response: { 200: GROUP_DOC },
      },
    },
    async (request) => groupDoc(await groups.get(callerOf(request), (request.params as { group_id: string }).group_id)),
  );

  app.post(
    '/api/groups/:group_id/members',
    {
      ...signedIn,
      schema: {
        tags,
        security,
        summary: 'Add a registered user (caller must be a member); key_version moves forward',
        params: groupParams,
        querystring: Type.Object({ user_id: USER_ID }),
        response: { 200: KEY_VERSION_ANSWER },
      },
    },
    async (request) => groups.addMember(callerOf(request), (request.params as { group_id: string }).group_id, (request.query as { user_id: string }).user_id),
  );

  app.delete(
    '/api/groups/:group_id/members/:user_id',
    {
      ...signedIn,
      schema: {
        tags,
        security,
        summary: 'Remove a member, or leave (caller must be a member); key_version moves forward',
        params: Type.Object({ group_id: GROUP_ID, user_id: USER_ID }),
        response: { 200: KEY_VERSION_ANSWER },
      },
    },
    async (request) => {
      const { group_id, user_id } = request.params as { group_id: string; user_id: string };
      return groups.removeMember(callerOf(request), group_id, user_id);
    },
  );
};
