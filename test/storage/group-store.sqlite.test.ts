import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { openEmbeddedStorage } from '../../src/storage/sqlite/open-embedded-storage.js';
import { SQLITE_MIGRATIONS } from '../../src/storage/sqlite/migrations.js';
import { openSqliteDatabase } from '../../src/storage/sqlite/sqlite-database.js';
import { createSqliteGroupStore } from '../../src/storage/sqlite/sqlite-group-store.js';
import { sqliteBackend, useBackend } from './backends.js';
import { channel, group, GROUP_TABLES, groupStoreContract } from './group-store.contract.js';
import { groupStoreQuotasContract } from './group-store-quotas.contract.js';
import { ROWS_BEFORE_QUOTAS, USAGE_AFTER_QUOTAS, USAGE_QUERIES } from './schema/rows-before-quotas.js';

describe('SQLite group store', () => {
  groupStoreContract(useBackend(sqliteBackend(createSqliteGroupStore, GROUP_TABLES)));
  groupStoreQuotasContract(useBackend(sqliteBackend(createSqliteGroupStore, GROUP_TABLES)));
});

describe('schema', () => {
  const dirs: string[] = [];
  afterEach(() =>
    dirs.splice(0).forEach((d) => {
      rmSync(d, { recursive: true, force: true });
    }),
  );
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'whispr-groups-'));
    dirs.push(dir);
    return dir;
  };

  test('a version-1 database is upgraded in place, keeping its rows', () => {
    const path = join(tempDir(), 'whispr.sqlite');
    const old = new Database(path);
    old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)');
    old.exec(SQLITE_MIGRATIONS[0] ?? '');
    old.exec("INSERT INTO schema_migrations VALUES (1, 0); INSERT INTO send_receipts VALUES ('r', 1, 1, 1)");
    old.close();
    const upgraded = openSqliteDatabase(path);
    expect(upgraded.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual(SQLITE_MIGRATIONS.map((_, i) => i + 1));
    expect(upgraded.prepare('SELECT count(*) FROM send_receipts').pluck().get()).toBe(1);
    expect(upgraded.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'group_messages'").pluck().get()).toBe(1);
    upgraded.close();
  });

  test('version 7 derives the usage counters from the rows an older database holds', () => {
    const path = join(tempDir(), 'whispr.sqlite');
    const old = new Database(path);
    old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)');
    SQLITE_MIGRATIONS.slice(0, 6).forEach((sql, index) => {
      old.exec(sql);
      old.prepare('INSERT INTO schema_migrations VALUES (?, 0)').run(index + 1);
    });
    old.exec(ROWS_BEFORE_QUOTAS);
    old.close();
    const upgraded = openSqliteDatabase(path);
    const usage = Object.fromEntries(Object.entries(USAGE_QUERIES).map(([table, sql]) => [table, upgraded.prepare(sql).all()]));
    upgraded.close();
    expect(usage).toEqual(USAGE_AFTER_QUOTAS);
  });

  test('the embedded storage exposes the group store and keeps groups across a restart', async () => {
    const dir = tempDir();
    const first = await openEmbeddedStorage(dir);
    await first.groups.createGroup(group('g1'), channel('c1', 'g1', 'general'));
    await first.close();
    const second = await openEmbeddedStorage(dir);
    expect(await second.groups.getGroup('g1')).toEqual(group('g1'));
    expect(await second.groups.listChannels('g1')).toHaveLength(1);
    await second.close();
  });
});
