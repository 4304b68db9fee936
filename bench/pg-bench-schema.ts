import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * A fresh schema of the database at `databaseUrl`: `url` selects it (and names the connections after
 * it, so their backends can be told apart in pg_stat_activity); `drop` removes it and all it holds.
 */
export interface BenchSchema {
  name: string;
  url: string;
  /** A query on the database's own connection (name the schema's tables with `name`). */
  sql<T>(text: string, values?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

export async function createBenchSchema(databaseUrl: string): Promise<BenchSchema> {
  const name = `whispr_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${name}`);
  const url = new URL(databaseUrl);
  url.searchParams.set('options', `-c search_path=${name}`);
  url.searchParams.set('application_name', name);
  return {
    name,
    url: url.toString(),
    sql: async <T>(text: string, values: unknown[] = []) => (await admin.query(text, values)).rows as T[],
    async drop() {
      await admin.query(`DROP SCHEMA ${name} CASCADE`).catch(() => undefined);
      await admin.end();
    },
  };
}
