import { LockSpace, lockUntilCommit } from './advisory-locks.js';
import type { PgDatabase } from './pg-database.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';

/**
 * Brings the schema of the connection's search_path up to date. Each version runs in its own
 * transaction under an advisory lock per schema, so nodes starting together wait for each other
 * instead of racing on CREATE TABLE, and each version is applied exactly once.
 */
export async function migratePostgres(db: PgDatabase, migrations: readonly string[] = POSTGRES_MIGRATIONS): Promise<void> {
  for (const [index, sql] of migrations.entries()) {
    const version = index + 1;
    await db.transaction(async (tx) => {
      const [row] = await tx.query<{ schema: string | null }>('SELECT current_schema() AS schema');
      await lockUntilCommit(tx, LockSpace.migrations, row?.schema ?? '');
      await tx.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at double precision NOT NULL)');
      const applied = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [version]);
      if (applied.length > 0) return;
      await tx.query(sql);
      await tx.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, extract(epoch FROM clock_timestamp()))', [version]);
    });
  }
}
