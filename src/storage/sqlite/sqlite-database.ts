import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { refuseNewerSchema, type SchemaReport } from '../schema.js';
import { SQLITE_MIGRATIONS } from './migrations.js';

export type SqliteDatabase = Database.Database;

/** Opens and migrates the embedded database (see openMigratedSqlite). */
export const openSqliteDatabase = (path: string): SqliteDatabase => openMigratedSqlite(path).db;

/**
 * Opens (creating if needed) the embedded database, tuned as measured: WAL + synchronous=NORMAL,
 * and migrates it; a schema newer than this code is refused before anything is written.
 */
export function openMigratedSqlite(path: string): { db: SqliteDatabase; schema: SchemaReport } {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode survives a process crash (SIGKILL); only an OS crash can lose the last commits.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  try {
    return { db, schema: migrate(db) };
  } catch (err) {
    db.close();
    throw err;
  }
}

/** The schema version of an open database, without changing it (0 when it has none yet). */
export function sqliteSchemaVersion(db: SqliteDatabase): number {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (table === undefined) return 0;
  return (db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
}

function migrate(db: SqliteDatabase): SchemaReport {
  const latest = SQLITE_MIGRATIONS.length;
  const current = sqliteSchemaVersion(db);
  refuseNewerSchema(current, latest);
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)');
  const applied: number[] = [];
  SQLITE_MIGRATIONS.forEach((sql, index) => {
    const version = index + 1;
    if (version <= current) return;
    db.transaction(() => {
      db.exec(sql);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(version, Date.now() / 1000);
    })();
    applied.push(version);
  });
  return { version: Math.max(current, latest), latest, applied };
}
