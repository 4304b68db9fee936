import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { postgresUnreachable } from '../app/service-address.js';
import { explainFailure } from '../app/startup-error.js';
import type { Config } from '../config/settings.js';
import { postgresSchemaVersion } from '../storage/postgres/migrate.js';
import { POSTGRES_MIGRATIONS } from '../storage/postgres/migrations.js';
import { openPgDatabase } from '../storage/postgres/pg-database.js';
import type { SchemaReport } from '../storage/schema.js';
import { SQLITE_MIGRATIONS } from '../storage/sqlite/migrations.js';
import { SQLITE_FILE } from '../storage/sqlite/open-embedded-storage.js';
import { sqliteSchemaVersion } from '../storage/sqlite/sqlite-database.js';

/** The schema version of a SQLite file, read without writing to it (0 when there is no file yet). */
export function sqliteFileSchemaVersion(path: string): number {
  if (!existsSync(path)) return 0;
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return sqliteSchemaVersion(db);
  } finally {
    db.close();
  }
}

/** Where the configured database's schema stands, without migrating it (`whispr migrate --status`). */
export async function readSchemaStatus(config: Config): Promise<SchemaReport> {
  if (config.storage === 'sqlite') {
    return { version: sqliteFileSchemaVersion(join(config.data_dir, SQLITE_FILE)), latest: SQLITE_MIGRATIONS.length, applied: [] };
  }
  const db = openPgDatabase(config.database_url, { maxConnections: 1, onIdleError: () => undefined });
  try {
    const version = await explainFailure(() => postgresSchemaVersion(db), postgresUnreachable(config.database_url));
    return { version, latest: POSTGRES_MIGRATIONS.length, applied: [] };
  } finally {
    await db.close();
  }
}

/** One line for an operator: where the schema is and what, if anything, to do. */
export function describeSchema({ version, latest, applied }: SchemaReport): string {
  if (applied.length > 0) return `schema migrated to version ${version} (applied ${applied.join(', ')})`;
  if (version < latest) return `schema version ${version} of ${latest}: versions ${version + 1} to ${latest} are pending (whispr migrate applies them)`;
  return `schema version ${version}: up to date`;
}
