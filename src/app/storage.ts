import { join } from 'node:path';
import type { AttachmentStore, BlobStore } from '../features/attachments/attachment-store.js';
import type { GroupStore } from '../features/groups/group-store.js';
import type { InboxStore } from '../features/relay/inbox-store.js';
import { createFileBlobStore } from '../storage/file-blob-store.js';
import { createSqliteAttachmentStore } from '../storage/sqlite/sqlite-attachment-store.js';
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
    async close() {
      await writes.run(() => undefined); // commits whatever is still pending
      db.close();
    },
  };
}
