import { join } from 'node:path';
import type { AttachmentStore, BlobStore } from '../../features/attachments/attachment-store.js';
import type { GroupStore } from '../../features/groups/group-store.js';
import type { InboxStore } from '../../features/relay/inbox-store.js';
import { createBlobSpool } from './blob-spool.js';
import { migratePostgres } from './migrate.js';
import { createPgAttachmentStore } from './pg-attachment-store.js';
import { createPgBlobStore } from './pg-blob-store.js';
import { openPgDatabase, type PgPoolOptions } from './pg-database.js';
import { createPgGroupStore } from './pg-group-store.js';
import { createPgInboxStore } from './pg-inbox-store.js';

export interface PostgresStorageOptions extends PgPoolOptions {
  /** Node-local directory where blobs are copied for streaming (see BlobSpool). */
  spoolDir: string;
}

/** The stores that PostgreSQL provides so far, under the field names of the app's Storage. */
export interface PostgresStorage {
  kind: 'postgres';
  inbox: InboxStore;
  attachments: AttachmentStore;
  blobs: BlobStore;
  groups: GroupStore;
  groupBlobs: BlobStore;
  /** Throws (503) when the database does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Connects one node to the shared database and migrates it (safe when several nodes start at once). */
export async function openPostgresStorage(databaseUrl: string, options: PostgresStorageOptions): Promise<PostgresStorage> {
  const db = openPgDatabase(databaseUrl, options);
  try {
    await migratePostgres(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  return {
    kind: 'postgres',
    inbox: createPgInboxStore(db),
    attachments: createPgAttachmentStore(db),
    blobs: createPgBlobStore(db, 'attachments', createBlobSpool(join(options.spoolDir, 'attachments'))),
    groups: createPgGroupStore(db),
    groupBlobs: createPgBlobStore(db, 'group-attachments', createBlobSpool(join(options.spoolDir, 'group-attachments'))),
    ping: async () => void (await db.query('SELECT 1')),
    close: () => db.close(),
  };
}
