import pg from 'pg';
import { guardPostgres } from './pg-unavailable.js';

/**
 * A hot statement, prepared once per connection under its name: PostgreSQL then skips parsing and
 * planning it on every call (about a fifth of a one-row statement's backend CPU here). The text
 * must be fixed: one name, one text.
 */
export interface PgStatement {
  name: string;
  text: string;
}

export const prepared = (name: string, text: string): PgStatement => ({ name, text });

export interface PgQueryable {
  /** Runs one statement (or, without params, a script) and returns its rows. */
  query<R>(sql: string | PgStatement, params?: readonly unknown[]): Promise<R[]>;
}

export interface PgDatabase extends PgQueryable {
  /** Runs `work` on one connection in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(work: (tx: PgQueryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The `n` of the one row a statement answers (`SELECT count(*) AS n ...`); 0 when it answers none. */
export const countOf = async (q: PgQueryable, sql: string, params: readonly unknown[] = []): Promise<number> =>
  (await q.query<{ n: number }>(sql, params))[0]?.n ?? 0;

/** True when a statement answers any row: a `SELECT 1` that found one, a write `... RETURNING 1` that wrote one. */
export const anyRow = async (q: PgQueryable, sql: string, params: readonly unknown[] = []): Promise<boolean> => (await q.query(sql, params)).length > 0;

export interface PgPoolOptions {
  /** Connections this node may open (default 10). */
  maxConnections?: number;
  /** Waiting longer than this for a connection is an outage (503), not a hang (default 5000). */
  connectTimeoutMs?: number;
  /** A statement without an answer for this long fails as an outage (default 30000). */
  queryTimeoutMs?: number;
  /** Errors of idle pooled connections (e.g. a database restart); the pool replaces them itself. */
  onIdleError: (error: Error) => void;
}

/** bigint (ids, count(*)) as a JS number: every value Whispr stores stays far below 2^53. */
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`bigint ${text} does not fit a JS number`);
  return value;
}

/**
 * One node's pool for a DATABASE_URL-style connection string (`?options=-c search_path=...` selects
 * a schema). Every call goes through guardPostgres, so an outage is a 503 wherever it happens.
 */
export function openPgDatabase(connectionString: string, options: PgPoolOptions): PgDatabase {
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, parseInt8);
  const pool = new pg.Pool({
    connectionString,
    types,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    query_timeout: options.queryTimeoutMs ?? 30_000,
    keepAlive: true,
  });
  // Without a listener an idle connection's error (database restart) would crash the process.
  pool.on('error', options.onIdleError);

  const queryableOf = (client: pg.Pool | pg.PoolClient): PgQueryable => ({
    query: async <R>(sql: string | PgStatement, params?: readonly unknown[]) => {
      const values = params as unknown[] | undefined;
      const result = typeof sql === 'string' ? await client.query(sql, values) : await client.query({ name: sql.name, text: sql.text, values });
      return result.rows as R[];
    },
  });
  const direct = queryableOf(pool);

  return {
    query: (sql, params) => guardPostgres(() => direct.query(sql, params)),
    transaction: (work) =>
      guardPostgres(async () => {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const result = await work(queryableOf(client));
          await client.query('COMMIT');
          client.release();
          return result;
        } catch (error) {
          // ROLLBACK fails only on a broken connection, which must then be destroyed rather than pooled again.
          const broken = await client.query('ROLLBACK').then(
            () => undefined,
            (rollbackError: Error) => rollbackError,
          );
          client.release(broken);
          throw error;
        }
      }),
    close: () => pool.end(),
  };
}
