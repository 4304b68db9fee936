import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { openPgDatabase, type PgDatabase, type PgPoolOptions } from '../../src/storage/postgres/pg-database.js';
import { POSTGRES_URL } from './services.js';

export interface TempSchema {
  name: string;
  /** POSTGRES_URL with this schema as search_path (and `extra` query parameters, e.g. application_name). */
  url(extra?: Record<string, string>): string;
  /** Drops the schema with everything in it. */
  drop(): Promise<void>;
}

/** Runs `work` on a connection outside any pool under test (to inspect, or to kill other connections). */
export async function withAdminClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A fresh schema of its own for one test file, so files running in parallel never see each other's rows. */
export async function createTempSchema(): Promise<TempSchema> {
  const name = `whispr_t_${randomBytes(6).toString('hex')}`;
  await withAdminClient((c) => c.query(`CREATE SCHEMA ${name}`));
  return {
    name,
    url(extra = {}) {
      const url = new URL(POSTGRES_URL);
      // Commits need not wait for the disk in tests: only a crash of PostgreSQL could tell the difference.
      url.searchParams.set('options', `-c search_path=${name} -c synchronous_commit=off`);
      for (const [key, value] of Object.entries(extra)) url.searchParams.set(key, value);
      return url.toString();
    },
    drop: () => withAdminClient((c) => c.query(`DROP SCHEMA ${name} CASCADE`)).then(() => undefined),
  };
}

/**
 * For one describe block: a temp schema made before its tests and dropped after them, and `open()`,
 * a pool on it (with `options`) closed before the drop.
 */
export function useTempSchemaPools(options: Partial<PgPoolOptions> = {}): { open(): PgDatabase } {
  let schema: TempSchema | undefined;
  const pools: PgDatabase[] = [];
  beforeAll(async () => {
    schema = await createTempSchema();
  });
  afterAll(async () => {
    await Promise.all(pools.map((db) => db.close()));
    await schema?.drop();
  });
  return {
    open() {
      if (schema === undefined) throw new Error('open() before the schema was made');
      const db = openPgDatabase(schema.url(), { onIdleError: () => undefined, ...options });
      pools.push(db);
      return db;
    },
  };
}
