import { join } from 'node:path';
import type { AccountStore } from '../features/accounts/account-store.js';
import type { UserQueueStore } from '../features/queues/user-queue-store.js';
import type { AnalyticsStore } from '../features/analytics/analytics-store.js';
import type { AttachmentStore, BlobStore } from '../features/attachments/attachment-store.js';
import type { ChatGroupStore } from '../features/chat/chat-group-store.js';
import type { ChatUserStore } from '../features/chat/chat-user-store.js';
import type { GroupStore } from '../features/groups/group-store.js';
import type { InboxStore } from '../features/relay/inbox-store.js';
import { createFileBlobStore } from '../storage/file-blob-store.js';
import { createSqliteAccountStore } from '../storage/sqlite/sqlite-account-store.js';
import { createSqliteUserQueueStore } from '../storage/sqlite/sqlite-user-queue-store.js';
import { createSqliteAnalyticsStore } from '../storage/sqlite/sqlite-analytics-store.js';
import { createSqliteAttachmentStore } from '../storage/sqlite/sqlite-attachment-store.js';
import { createSqliteChatGroupStore } from '../storage/sqlite/sqlite-chat-group-store.js';
import { createSqliteChatUserStore } from '../storage/sqlite/sqlite-chat-user-store.js';
import { createSqliteGroupStore } from '../storage/sqlite/sqlite-group-store.js';
import { createSqliteInboxStore } from '../storage/sqlite/sqlite-inbox-store.js';
import { openSqliteDatabase } from '../storage/sqlite/sqlite-database.js';
import { SqliteWriteBatcher } from '../storage/sqlite/write-batcher.js';

/** Every storage port the features use, behind one handle. */
export interface Storage {
  kind: string;
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

/** The embedded default: one SQLite file and an attachments folder in the data directory. */
export async function openEmbeddedStorage(dataDir: string): Promise<Storage> {
  const db = openSqliteDatabase(join(dataDir, 'whispr.sqlite'));
  const writes = new SqliteWriteBatcher(db);
  const inbox = createSqliteInboxStore(db, writes);
  // This process is the only deliverer: leases left by a crash would only delay those messages.
  await inbox.releaseAll();
  return {
    kind: 'sqlite',
    inbox,
    attachments: createSqliteAttachmentStore(db, writes),
    blobs: createFileBlobStore(join(dataDir, 'attachments')),
    groups: createSqliteGroupStore(db, writes),
    groupBlobs: createFileBlobStore(join(dataDir, 'group-attachments')),
    analytics: createSqliteAnalyticsStore(db, writes),
    accounts: createSqliteAccountStore(db, writes),
    userQueues: createSqliteUserQueueStore(db, writes),
    chatUsers: createSqliteChatUserStore(db, writes),
    chatGroups: createSqliteChatGroupStore(db, writes),
    ping: async () => void db.prepare('SELECT 1').get(),
    async close() {
      await writes.run(() => undefined); // commits whatever is still pending
      db.close();
    },
  };
}
