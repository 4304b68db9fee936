import type { FastifyInstance } from 'fastify';
import type { MessageBus } from '../../bus/message-bus.js';
import { monotonicClock } from '../../core/monotonic-clock.js';
import type { Config } from '../../config/settings.js';
import type { AnalyticsRecorder } from '../analytics/analytics.js';
import type { BlobStore } from '../attachments/attachment-store.js';
import type { KeyAuthorizer } from '../auth/key-authorizer.js';
import { ChannelService } from './channel-service.js';
import { channelsHttp } from './channels-http.js';
import { GroupAttachmentService } from './group-attachment-service.js';
import { groupAttachmentsHttp } from './group-attachments-http.js';
import { GroupEvents } from './group-events.js';
import { GroupMessageService } from './group-message-service.js';
import { groupMessagesHttp } from './group-messages-http.js';
import { GroupService } from './group-service.js';
import type { GroupStore } from './group-store.js';
import { groupsHttp } from './groups-http.js';
import type { KeyLocks } from '../../cluster/key-locks.js';

const DEFAULT_FETCH = 200;

export interface GroupDeps {
  store: GroupStore;
  blobs: BlobStore;
  /** Serializes storing and deleting one file (across nodes in a cluster). */
  locks: KeyLocks;
  bus: MessageBus;
  authorizer: KeyAuthorizer;
  config: Config;
  now: () => number;
  analytics: AnalyticsRecorder;
}

/** What the operator (admin API) may do with any group, through the same rules and deletion code as owners. */
export interface GroupOperations {
  count(): Promise<number>;
  publicGroups(query: string | undefined, limit: number): ReturnType<GroupService['discover']>;
  /** Deletes the group with its channels, messages, keys and files; 404 GROUP_NOT_FOUND if there is none. */
  delete(groupId: string): Promise<void>;
}

/** The group backend: its services, and the original /groups routes over them. */
export async function registerGroups(app: FastifyInstance, { store, blobs, locks, bus, authorizer, config, now: wallClock, analytics }: GroupDeps): Promise<GroupOperations> {
  // One strictly increasing clock for joins and messages: `since` paging never skips or repeats a
  // message, and a member's join is never stamped equal to a message around it.
  const now = monotonicClock(wallClock);
  const events = new GroupEvents(store, bus);
  const groups = new GroupService(store, events, { maxMembers: config.max_group_members }, now, analytics);
  const channels = new ChannelService(store, config.max_group_channels, now);
  const messages = new GroupMessageService(store, events, { maxCiphertextBytes: config.max_message_size, maxFetch: config.max_group_fetch, defaultFetch: Math.min(DEFAULT_FETCH, config.max_group_fetch) }, now, analytics);
  const attachments = new GroupAttachmentService(store, blobs, config.group_attachment_max_size_bytes, now, analytics, locks);
  await app.register(
    async (scope) => {
      await scope.register(groupsHttp, { groups, attachments, authorizer });
      await scope.register(channelsHttp, { channels, groupsRole: (actor, groupId) => groups.role(actor, groupId), authorizer });
      await scope.register(groupMessagesHttp, { messages, groups, authorizer, maxCiphertextBytes: config.max_message_size });
      await scope.register(groupAttachmentsHttp, { attachments, authorizer, maxBytes: config.group_attachment_max_size_bytes });
    },
    { prefix: '/groups' },
  );
  return {
    count: () => groups.count(),
    publicGroups: (query, limit) => groups.discover(query, limit),
    delete: async (groupId) => attachments.release(await groups.deleteAsOperator(groupId)),
  };
}
