/**
 * The embedded (SQLite) and cluster (PostgreSQL) migrations must build the same schema: the same
 * tables, columns (coarse type, nullability), primary keys and indexes. The differences that are
 * meant are listed below with their reason; any other, or a listed one that went away, fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { migratePostgres } from '../../src/storage/postgres/migrate.js';
import { openPgDatabase } from '../../src/storage/postgres/pg-database.js';
import { openSqliteDatabase } from '../../src/storage/sqlite/sqlite-database.js';
import { createTempSchema, type TempSchema } from '../support/pg-schema.js';
import { requirePostgres } from '../support/services.js';
import { postgresSchemaShape } from './schema/postgres-shape.js';
import { schemaDifferences } from './schema/shape.js';
import { sqliteSchemaShape } from './schema/sqlite-shape.js';

const available = await requirePostgres('test/storage/schema-parity.test.ts');

const NO_BOOLEAN = 'SQLite has no boolean type: 0 / 1 in an INTEGER';
const NULLABLE_KEY = 'SQLite quirk: a non-INTEGER PRIMARY KEY of a rowid table is not implied NOT NULL (every store always writes the id)';
const ROWID_ORDER = 'PostgreSQL has no rowid: an identity column keeps insertion order (registration, creation) for listings';

const MEANT: Record<string, string> = {
  'table blobs: only in postgres': 'file bytes shared by every node; the embedded server keeps them as files',
  'table blob_chunks: only in postgres': 'the chunks of those shared file bytes',
  'table inbox_recipient_locks: only in postgres': "a row lock per recipient serializes every node's enqueues for it; the embedded server is one writer",
  'column user_queue_counters.queued: sqlite none, postgres integer not null':
    "each queue's depth on the row that serializes its appends from every node, for the cap checks; the embedded store counts in its own transaction",
  'column account_auth_nonces.used: sqlite integer not null, postgres boolean not null': NO_BOOLEAN,
  'column group_members.pending: sqlite integer not null, postgres boolean not null': NO_BOOLEAN,
  'column groups.is_public: sqlite integer not null, postgres boolean not null': NO_BOOLEAN,
  'column groups.server_distribute: sqlite integer not null, postgres boolean not null': NO_BOOLEAN,
  'column groups.server_store_history: sqlite integer not null, postgres boolean not null': NO_BOOLEAN,
  'column channels.id: sqlite text, postgres text not null': NULLABLE_KEY,
  'column chat_groups.group_id: sqlite text, postgres text not null': NULLABLE_KEY,
  'column chat_users.user_id: sqlite text, postgres text not null': NULLABLE_KEY,
  'column group_messages.id: sqlite text, postgres text not null': NULLABLE_KEY,
  'column groups.id: sqlite text, postgres text not null': NULLABLE_KEY,
  'column phone_accounts.id: sqlite text, postgres text not null': NULLABLE_KEY,
  'column chat_groups.seq: sqlite none, postgres integer not null': ROWID_ORDER,
  'index chat_groups unique (seq): only in postgres': ROWID_ORDER,
  'column chat_users.seq: sqlite none, postgres integer not null': ROWID_ORDER,
  'index chat_users unique (seq): only in postgres': ROWID_ORDER,
};

describe.runIf(available)('schema parity of the SQLite and PostgreSQL migrations', () => {
  let schema: TempSchema;
  let dir: string;
  beforeAll(async () => {
    schema = await createTempSchema();
    dir = mkdtempSync(join(tmpdir(), 'whispr-parity-'));
  });
  afterAll(async () => {
    await schema.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('both migrated from scratch differ only where meant', async () => {
    const sqlite = openSqliteDatabase(join(dir, 'whispr.sqlite'));
    const postgres = openPgDatabase(schema.url(), { maxConnections: 1, onIdleError: () => undefined });
    try {
      await migratePostgres(postgres);
      const differences = schemaDifferences(sqliteSchemaShape(sqlite), await postgresSchemaShape(postgres));
      expect(differences.sort()).toEqual(Object.keys(MEANT).sort());
    } finally {
      sqlite.close();
      await postgres.close();
    }
  });
});
