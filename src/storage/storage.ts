import type { AccountStore } from '../features/accounts/index.js';
import type { UserQueueStore } from '../features/queues/index.js';
import type { AnalyticsStore } from '../features/analytics/index.js';
import type { AttachmentStore, BlobStore } from '../features/attachments/index.js';
import type { ChatGroupStore, ChatUserStore } from '../features/chat/index.js';
import type { GroupStore } from '../features/groups/index.js';
import type { InboxStore } from '../features/relay/index.js';
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
