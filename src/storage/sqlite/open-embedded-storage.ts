import { join } from 'node:path';
import { createFileBlobStore } from '../file-blob-store.js';
import { createSqliteAccountStore } from './sqlite-account-store.js';
import { createSqliteUserQueueStore } from './sqlite-user-queue-store.js';
import { createSqliteAnalyticsStore } from './sqlite-analytics-store.js';
import { createSqliteAttachmentStore } from './sqlite-attachment-store.js';
import { createSqliteChatGroupStore } from './sqlite-chat-group-store.js';
import { createSqliteChatUserStore } from './sqlite-chat-user-store.js';
import { createSqliteGroupStore } from './sqlite-group-store.js';
import { createSqliteInboxStore } from './sqlite-inbox-store.js';
import { openMigratedSqlite } from './sqlite-database.js';
import { SqliteWriteBatcher } from './write-batcher.js';
import type { Storage } from '../storage.js';

/** The database file in the data directory. */
export const SQLITE_FILE = 'whispr.sqlite';
/** The file stores in the data directory: direct-message attachments and group files. */
export const FILE_STORES = { attachments: 'attachments', groupAttachments: 'group-attachments' } as const;

/** The embedded default: one SQLite file and an attachments folder in the data directory. */
export async function openEmbeddedStorage(dataDir: string): Promise<Storage> {
  const { db, schema } = openMigratedSqlite(join(dataDir, SQLITE_FILE));
  const writes = new SqliteWriteBatcher(db);
  const inbox = createSqliteInboxStore(db, writes);
  // This process is the only deliverer: leases left by a crash would only delay those messages.
  await inbox.releaseAll();
  return {
    kind: 'sqlite',
    schema,
    inbox,
    attachments: createSqliteAttachmentStore(db, writes),
    blobs: createFileBlobStore(join(dataDir, FILE_STORES.attachments)),
    groups: createSqliteGroupStore(db, writes),
    groupBlobs: createFileBlobStore(join(dataDir, FILE_STORES.groupAttachments)),
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
