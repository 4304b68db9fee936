import { feature } from '../../app/feature.js';
import { monotonicClock } from '../../core/monotonic-clock.js';
import { perSecond, perWindow } from '../../rate-limit/policies.js';
import { ChannelService } from './channel-service.js';
import { channelsHttp } from './channels-http.js';
import { GroupAttachmentService } from './group-attachment-service.js';
import { groupAttachmentsHttp } from './group-attachments-http.js';
import { GroupEvents } from './group-events.js';
import { GroupMessageService } from './group-message-service.js';
import { groupMessagesHttp } from './group-messages-http.js';
import { GroupQuotas } from './group-quotas.js';
import { groupRetentionJobs } from './group-retention.js';
import { GroupService } from './group-service.js';
import { budgetGroupWrites, type GroupBudgets } from './group-write-budget.js';
import { groupsHttp } from './groups-http.js';

const DEFAULT_FETCH = 200;

/** What the operator (admin API) may do with any group, through the same rules and deletion code as owners. */
export interface GroupOperations {
  count(): Promise<number>;
  publicGroups(query: string | undefined, limit: number): ReturnType<GroupService['discover']>;
  /** Deletes the group with its channels, messages, keys and files; 404 GROUP_NOT_FOUND if there is none. */
  delete(groupId: string): Promise<void>;
}

/** The group backend: its services, and the original /groups routes over them. */
export const groupsFeature = feature({
  name: 'groups',
  needs: [],
  options: (config) => ({
    limits: { maxMembers: config.max_group_members, maxJoinRequests: config.max_group_join_requests },
    maxChannels: config.max_group_channels,
    maxCiphertextBytes: config.max_message_size,
    maxFetch: config.max_group_fetch,
    maxFileBytes: config.group_attachment_max_size_bytes,
    quotas: {
      groupHistoryBytes: config.group_history_quota_bytes,
      groupFilesBytes: config.group_files_quota_bytes,
      keyHistoryBytes: config.key_group_history_quota_bytes,
      keyFilesBytes: config.key_group_files_quota_bytes,
    },
    retention: {
      messageTtlSeconds: config.group_message_ttl_seconds,
      attachmentTtlSeconds: config.group_attachment_ttl_seconds,
      joinRequestTtlSeconds: config.group_join_request_ttl_seconds,
    },
    writesPerSecond: config.max_group_writes_per_second,
    joinsPerMinute: { key: config.group_joins_per_minute, address: config.group_joins_per_ip_per_minute },
  }),
  async register({ app, platform }, o) {
    const { storage, bus, authorizer, analytics, locks } = platform;
    const store = storage.groups;
    // One strictly increasing clock for joins and messages: `since` paging never skips or repeats a
    // message, and a member's join is never stamped equal to a message around it.
    const now = monotonicClock(platform.now);
    const events = new GroupEvents(store, bus);
    const quotas = new GroupQuotas(store, o.quotas);
    const groups = new GroupService(store, events, o.limits, now, analytics);
    const channels = new ChannelService(store, o.maxChannels, now);
    const messages = new GroupMessageService(
      store,
      events,
      { maxCiphertextBytes: o.maxCiphertextBytes, maxFetch: o.maxFetch, defaultFetch: Math.min(DEFAULT_FETCH, o.maxFetch) },
      now,
      analytics,
      quotas,
    );
    const attachments = new GroupAttachmentService(store, storage.groupBlobs, o.maxFileBytes, now, analytics, locks, quotas);
    const joinBudget = (name: string, perMinute: number) => ({
      limiter: platform.limiter(name, perWindow(perMinute, 60)),
      code: 'JOIN_RATE_LIMITED',
      detail: 'Too many group joins; retry later',
    });
    const budgets: GroupBudgets = {
      address: platform.addressBudget,
      writes: {
        limiter: platform.limiter('group-write', perSecond(o.writesPerSecond, 2)),
        code: 'RATE_LIMITED',
        detail: 'Too many group writes from this key',
      },
      joins: { key: joinBudget('group-join', o.joinsPerMinute.key), address: joinBudget('group-join-ip', o.joinsPerMinute.address) },
    };
    await app.register(
      async (scope) => {
        budgetGroupWrites(scope, authorizer, budgets);
        await scope.register(groupsHttp, { groups, attachments, authorizer, joins: budgets.joins });
        await scope.register(channelsHttp, { channels, groupsRole: (actor, groupId) => groups.role(actor, groupId), authorizer });
        await scope.register(groupMessagesHttp, { messages, groups, authorizer, maxCiphertextBytes: o.maxCiphertextBytes });
        await scope.register(groupAttachmentsHttp, { attachments, authorizer, maxBytes: o.maxFileBytes });
      },
      { prefix: '/groups' },
    );
    const groupOperations: GroupOperations = {
      count: () => groups.count(),
      publicGroups: (query, limit) => groups.discover(query, limit),
      delete: async (groupId) => attachments.release(await groups.deleteAsOperator(groupId)),
    };
    return { provides: { groupOperations }, jobs: groupRetentionJobs(store, attachments, o.retention, platform.now) };
  },
});
