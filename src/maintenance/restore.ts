import { copyFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { prepareDataDir } from '../app/data-dir.js';
import { StartupError } from '../app/startup-error.js';
import type { Config } from '../config/settings.js';
import { SECRET_FILES } from '../core/server-secrets.js';
import { POSTGRES_MIGRATIONS } from '../storage/postgres/migrations.js';
import { refuseNewerSchema } from '../storage/schema.js';
import { SQLITE_MIGRATIONS } from '../storage/sqlite/migrations.js';
import { FILE_STORES, SQLITE_FILE } from '../storage/sqlite/open-embedded-storage.js';
import { readManifest, type BackupManifest } from './backup-manifest.js';
import { copyTree } from './copy-tree.js';
import { isEmptyDir } from './empty-dir.js';
import { sqliteFileSchemaVersion } from './schema-status.js';

/** Every path of the data directory that holds data (what --force replaces). */
const DATA_PATHS = [SQLITE_FILE, `${SQLITE_FILE}-wal`, `${SQLITE_FILE}-shm`, ...Object.values(FILE_STORES), ...Object.values(SECRET_FILES)];

/**
 * `whispr restore --from DIR`: a backup made by `whispr backup` into the (stopped) server's data
 * directory. Refused when the backup's schema is newer than this code, when its storage differs
 * from the configured one, or when the data directory holds something and `force` is not given.
 */
export async function restoreDataDir(config: Config, from: string, options: { force: boolean }): Promise<BackupManifest> {
  const manifest = readManifest(from);
  if (manifest.storage !== config.storage) {
    throw new StartupError(
      `${from} is a backup of storage=${manifest.storage}, but storage=${config.storage} is configured: restore it with --storage ${manifest.storage}`,
    );
  }
  const sqlite = config.storage === 'sqlite';
  const version = sqlite ? sqliteFileSchemaVersion(join(from, SQLITE_FILE)) : manifest.schema_version;
  refuseNewerSchema(version, sqlite ? SQLITE_MIGRATIONS.length : POSTGRES_MIGRATIONS.length);
  const target = config.data_dir;
  if (!isEmptyDir(target)) {
    if (!options.force) {
      throw new StartupError(
        `data directory ${resolve(target)} is not empty: restore into a new or empty one, or add --force to replace its data (stop the server first)`,
      );
    }
    for (const path of DATA_PATHS) await rm(join(target, path), { recursive: true, force: true });
  }
  prepareDataDir(target);
  if (sqlite) await copyFile(join(from, SQLITE_FILE), join(target, SQLITE_FILE));
  for (const store of Object.values(FILE_STORES)) await copyTree(join(from, store), join(target, store));
  for (const secret of Object.values(SECRET_FILES)) {
    if (existsSync(join(from, secret))) await copyFile(join(from, secret), join(target, secret));
  }
  return manifest;
}
