import Database from 'better-sqlite3';
import { copyFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { StartupError } from '../app/startup-error.js';
import { VERSION } from '../app/version.js';
import type { Config } from '../config/settings.js';
import { SECRET_FILES } from '../core/server-secrets.js';
import { FILE_STORES, SQLITE_FILE } from '../storage/sqlite/open-embedded-storage.js';
import { MANIFEST_FILE, type BackupManifest } from './backup-manifest.js';
import { copyTree } from './copy-tree.js';
import { createEmptyDir } from './empty-dir.js';
import { sqliteSchemaVersion } from '../storage/sqlite/sqlite-database.js';
import { readSchemaStatus } from './schema-status.js';

/** Every page in one step: a step holds a read snapshot, so a busy server cannot keep restarting the copy. */
const ALL_PAGES = 0x7fffffff;

/**
 * A consistent SQLite snapshot by SQLite's online backup API, taken while the server runs (WAL
 * readers do not block its writers).
 */
async function snapshotSqlite(dataDir: string, out: string): Promise<number> {
  const source = join(dataDir, SQLITE_FILE);
  if (!existsSync(source)) throw new StartupError(`no database at ${resolve(source)}: check data_dir (--data-dir, WHISPR_DATA_DIR)`);
  const db = new Database(source, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    await db.backup(join(out, SQLITE_FILE), { progress: () => ALL_PAGES });
  } finally {
    db.close();
  }
  // One self-contained file (no -wal beside it), whatever journal mode the server runs.
  const copy = new Database(join(out, SQLITE_FILE), { fileMustExist: true });
  try {
    copy.pragma('journal_mode = DELETE');
    return sqliteSchemaVersion(copy);
  } finally {
    copy.close();
  }
}

/**
 * `whispr backup --out DIR`: the database (SQLite: a snapshot; PostgreSQL: left to pg_dump), then
 * every file store and the secret files. The snapshot comes first, so every file a row of it
 * refers to already exists when the stores are copied (files newer than it are harmless extras
 * the cleanup removes).
 */
export async function backupDataDir(config: Config, out: string): Promise<BackupManifest> {
  createEmptyDir(out, 'a backup goes into a new or empty directory');
  const schemaVersion = config.storage === 'sqlite' ? await snapshotSqlite(config.data_dir, out) : (await readSchemaStatus(config)).version;
  const files: Record<string, number> = {};
  for (const store of Object.values(FILE_STORES)) files[store] = await copyTree(join(config.data_dir, store), join(out, store));
  for (const secret of Object.values(SECRET_FILES)) {
    const from = join(config.data_dir, secret);
    if (!existsSync(from)) continue;
    await copyFile(from, join(out, secret));
    files[secret] = 1;
  }
  const manifest: BackupManifest = {
    format: 1,
    whispr_version: VERSION,
    storage: config.storage,
    schema_version: schemaVersion,
    created_at: new Date().toISOString(),
    files,
  };
  await writeFile(join(out, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  return manifest;
}
