import { join } from 'node:path';
import type { SchemaReport } from '../schema.js';
import type { Storage } from '../storage.js';
import { createBlobSpool } from './blob-spool.js';
import { migratePostgres } from './migrate.js';
import { createPgAccountStore } from './pg-account-store.js';
import { createPgAnalyticsStore } from './pg-analytics-store.js';
import { createPgAttachmentStore } from './pg-attachment-store.js';
import { createPgBlobStore } from './pg-blob-store.js';
import { createPgChatGroupStore } from './pg-chat-group-store.js';
import { createPgChatUserStore } from './pg-chat-user-store.js';
import { openPgDatabase, type PgPoolOptions } from './pg-database.js';
import { createPgGroupStore } from './pg-group-store.js';
import { createPgInboxStore } from './pg-inbox-store.js';
import { createPgUserQueueStore } from './pg-user-queue-store.js';

export interface PostgresStorageOptions extends PgPoolOptions {
  /** Node-local directory where blobs are copied for streaming (see BlobSpool). */
  spoolDir: string;
}

/** Every store of the app's Storage on one pool; ping throws (503) when the database does not answer. */
export interface PostgresStorage extends Storage {
  kind: 'postgres';
}

/** Connects one node to the shared database and migrates it (safe when several nodes start at once). */
export async function openPostgresStorage(databaseUrl: string, options: PostgresStorageOptions): Promise<PostgresStorage> {
  const db = openPgDatabase(databaseUrl, options);
  let schema: SchemaReport;
  try {
    schema = await migratePostgres(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  return {
    kind: 'postgres',
    schema,
    inbox: createPgInboxStore(db),
    attachments: createPgAttachmentStore(db),
    blobs: createPgBlobStore(db, 'attachments', createBlobSpool(join(options.spoolDir, 'attachments'))),
    groups: createPgGroupStore(db),
    groupBlobs: createPgBlobStore(db, 'group-attachments', createBlobSpool(join(options.spoolDir, 'group-attachments'))),
    analytics: createPgAnalyticsStore(db),
    accounts: createPgAccountStore(db),
    userQueues: createPgUserQueueStore(db),
    chatUsers: createPgChatUserStore(db),
    chatGroups: createPgChatGroupStore(db),
    ping: async () => void (await db.query('SELECT 1')),
    close: () => db.close(),
  };
}
