import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config/settings.js';
import type { ChatAuth } from './chat-auth.js';
import type { ChatEventSink } from './chat-event-sink.js';
import { ChatGroupService } from './chat-group-service.js';
import type { ChatGroupStore } from './chat-group-store.js';
import { chatGroupsHttp } from './chat-groups-http.js';
import { ChatUserService } from './chat-user-service.js';
import type { ChatUserStore } from './chat-user-store.js';
import { chatUsersHttp } from './chat-users-http.js';

export interface ChatDeps {
  config: Pick<Config, 'max_group_members'>;
  auth: ChatAuth;
  users: ChatUserStore;
  groups: ChatGroupStore;
  /** Where GROUP_KEY_UPDATE events go; without it membership changes are not announced. */
  events?: ChatEventSink;
  now: () => number;
  onError: (err: unknown) => void;
}

/** The Chat Application Backend dialect's sign-in, users and groups under /api (its events are the events feature). */
export async function registerChat(app: FastifyInstance, { config, auth, users, groups, events, now, onError }: ChatDeps): Promise<void> {
  const maxMembers = config.max_group_members;
  await app.register(chatUsersHttp, { users: new ChatUserService({ users, auth, now }), auth });
  await app.register(chatGroupsHttp, { groups: new ChatGroupService({ groups, users, events, maxMembers, now, onError }), auth, maxMembers });
}
