import type { AccountStore } from '../features/accounts/account-store.js';
import type { UserQueueStore } from '../features/queues/user-queue-store.js';
import type { AnalyticsStore } from '../features/analytics/analytics-store.js';
import type { AttachmentStore, BlobStore } from '../features/attachments/attachment-store.js';
import type { ChatGroupStore } from '../features/chat/chat-group-store.js';
import type { ChatUserStore } from '../features/chat/chat-user-store.js';
import type { GroupStore } from '../features/groups/group-store.js';
import type { InboxStore } from '../features/relay/inbox-store.js';
import type { SchemaReport } from './schema.js';

/** Every storage port the features use, behind one handle. */
export interface Storage {
  kind: string;
  /** The schema version, and what this start migrated (logged in the startup summary). */
  schema: SchemaReport;
  inbox: InboxStore;
  attachments: AttachmentStore;
  blobs: BlobStore;
  groups: GroupStore;
  /** Group files, apart from direct-message attachments so neither cleanup can remove the other's. */
  groupBlobs: BlobStore;
  /** Aggregate usage counters (analytics); no keys, no sender/recipient pairs. */
  analytics: AnalyticsStore;
  /** Private-comm accounts and prekeys. */
  accounts: AccountStore;
  /** Durable per-user queues: chat-app events, private-comm pending messages. */
  userQueues: UserQueueStore;
  /** Chat-app (/api) users with their public keys, and their groups. */
  chatUsers: ChatUserStore;
  chatGroups: ChatGroupStore;
  /** Throws when the database does not answer (GET /health/). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
