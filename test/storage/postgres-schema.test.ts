import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Storage } from '../../src/storage/storage.js';
import { migratePostgres } from '../../src/storage/postgres/migrate.js';
import { POSTGRES_MIGRATIONS } from '../../src/storage/postgres/migrations.js';
import { openPostgresStorage } from '../../src/storage/postgres/open-postgres-storage.js';
import { openPgDatabase, type PgDatabase } from '../../src/storage/postgres/pg-database.js';
import { createTempSchema, type TempSchema } from '../support/pg-schema.js';
import { requirePostgres } from '../support/services.js';
import { ROWS_BEFORE_QUOTAS, USAGE_AFTER_QUOTAS, USAGE_QUERIES } from './schema/rows-before-quotas.js';

const available = await requirePostgres('test/storage/postgres-schema.test.ts');

describe.runIf(available)('PostgreSQL schema and storage', () => {
  let schema: TempSchema;
  let spoolDir: string;
  const pools: PgDatabase[] = [];
  const open = () => {
    const db = openPgDatabase(schema.url(), { maxConnections: 2, onIdleError: () => undefined });
    pools.push(db);
    return db;
  };
  const versions = async (db: PgDatabase) =>
    (await db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).map((r) => r.version);
  const tables = async (db: PgDatabase) =>
    (await db.query<{ name: string }>('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1')).map(
      (r) => r.name,
    );

  beforeAll(async () => {
    schema = await createTempSchema();
    spoolDir = mkdtempSync(join(tmpdir(), 'whispr-spool-'));
  });
  afterAll(async () => {
    await Promise.all(pools.map((db) => db.close()));
    await schema.drop();
    rmSync(spoolDir, { recursive: true, force: true });
  });

  test('a failing migration is rolled back whole and not recorded', async () => {
    const db = open();
    const broken = [...POSTGRES_MIGRATIONS.slice(0, 1), 'CREATE TABLE half_done (id integer); SELECT 1 / 0'];
    await expect(migratePostgres(db, broken)).rejects.toThrow(/division by zero/);
    expect(await versions(db)).toEqual([1]);
    expect(await tables(db)).not.toContain('half_done');
  });

  test('six nodes starting at once apply every version exactly once', async () => {
    const nodes = Array.from({ length: 6 }, open);
    await Promise.all(nodes.map((db) => migratePostgres(db)));
    expect(await versions(nodes[0] as PgDatabase)).toEqual(POSTGRES_MIGRATIONS.map((_, i) => i + 1));
    expect(await tables(nodes[0] as PgDatabase)).toEqual([
      'account_auth_nonces',
      'analytics_active_days',
      'analytics_active_hashes',
      'analytics_counters',
      'analytics_day_keys',
      'attachment_sender_usage',
      'attachments',
      'blob_chunks',
      'blobs',
      'channels',
      'chat_group_members',
      'chat_groups',
      'chat_users',
      'group_attachments',
      'group_bans',
      'group_key_usage',
      'group_member_keys',
      'group_members',
      'group_messages',
      'group_usage',
      'groups',
      'inbox_messages',
      'inbox_recipient_locks',
      'one_time_prekeys',
      'phone_accounts',
      'schema_migrations',
      'send_receipts',
      'user_queue_counters',
      'user_queue_events',
    ]);
    await migratePostgres(nodes[1] as PgDatabase); // again: nothing to do
    expect(await versions(nodes[1] as PgDatabase)).toHaveLength(POSTGRES_MIGRATIONS.length);
  });

  test('version 7 derives the usage counters from the rows an older database holds', async () => {
    const own = await createTempSchema();
    const db = openPgDatabase(own.url(), { maxConnections: 1, onIdleError: () => undefined });
    try {
      await migratePostgres(db, POSTGRES_MIGRATIONS.slice(0, 6));
      await db.query(ROWS_BEFORE_QUOTAS);
      await migratePostgres(db);
      const usage = Object.fromEntries(await Promise.all(Object.entries(USAGE_QUERIES).map(async ([table, sql]) => [table, await db.query(sql)])));
      expect(usage).toEqual(USAGE_AFTER_QUOTAS);
    } finally {
      await db.close();
      await own.drop();
    }
  });

  test('openPostgresStorage migrates and opens every store under the Storage field names, on one pool', async () => {
    const storage: Storage = await openPostgresStorage(schema.url(), { spoolDir, onIdleError: () => undefined }); // the app's Storage, every field
    try {
      expect(storage.kind).toBe('postgres');
      await storage.ping();
      const bytes = Buffer.from('file');
      const id = 'e'.repeat(64);
      await storage.blobs.put(id, bytes);
      expect(await storage.groupBlobs.get(id)).toBeUndefined(); // group files are a bucket of their own
      expect(await storage.blobs.pathOf(id)).toBe(join(spoolDir, 'attachments', `${id}.bin`));
      expect(await storage.inbox.totalQueued()).toBe(0);
      expect(await storage.attachments.count()).toBe(0);
      expect(await storage.groups.countGroups()).toBe(0);
      expect(await storage.accounts.count()).toBe(0);
      expect(await storage.userQueues.depth()).toBe(0);
      expect(await storage.analytics.totals()).toEqual({ counters: {}, firstDay: undefined });
      expect(await storage.chatUsers.get('u1')).toBeUndefined();
      expect(await storage.chatGroups.listOf('u1')).toEqual([]);
    } finally {
      await storage.close();
    }
  });
});
