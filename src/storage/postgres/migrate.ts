import { refuseNewerSchema, type SchemaReport } from '../schema.js';
import { LockSpace, lockUntilCommit } from './advisory-locks.js';
import type { PgQueryable, PgDatabase } from './pg-database.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';

/** The schema version of the connection's search_path, without changing it (0 when it has none yet). */
export async function postgresSchemaVersion(db: PgQueryable): Promise<number> {
  const [table] = await db.query<{ found: string | null }>("SELECT to_regclass('schema_migrations')::text AS found");
  if (table?.found == null) return 0;
  const [row] = await db.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
  return row?.v ?? 0;
}

/**
 * Brings the schema of the connection's search_path up to date. Each version runs in its own
 * transaction under an advisory lock per schema, so nodes starting together wait for each other
 * instead of racing on CREATE TABLE, and each version is applied exactly once. A schema newer
 * than `migrations` is refused before anything is applied.
 */
export async function migratePostgres(db: PgDatabase, migrations: readonly string[] = POSTGRES_MIGRATIONS): Promise<SchemaReport> {
  const latest = migrations.length;
  const found = await postgresSchemaVersion(db);
  refuseNewerSchema(found, latest);
  const applied: number[] = [];
  for (const [index, sql] of migrations.entries()) {
    const version = index + 1;
    await db.transaction(async (tx) => {
      const [row] = await tx.query<{ schema: string | null }>('SELECT current_schema() AS schema');
      await lockUntilCommit(tx, LockSpace.migrations, row?.schema ?? '');
      await tx.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at double precision NOT NULL)');
      const done = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [version]);
      if (done.length > 0) return;
      await tx.query(sql);
      await tx.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, extract(epoch FROM clock_timestamp()))', [version]);
      applied.push(version);
    });
  }
  return { version: Math.max(found, latest), latest, applied };
}
