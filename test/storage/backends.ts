/**
 * Backends for the store contracts: one shared database, and `node()` to open another store on it
 * with its own connection(s), the way each server process of a cluster would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { migratePostgres } from '../../src/storage/postgres/migrate.js';
import { openPgDatabase, type PgDatabase } from '../../src/storage/postgres/pg-database.js';
import { openSqliteDatabase, type SqliteDatabase } from '../../src/storage/sqlite/sqlite-database.js';
import { SqliteWriteBatcher } from '../../src/storage/sqlite/write-batcher.js';
import { createTempSchema } from '../support/pg-schema.js';

export interface Backend<T> {
  /** Another store on the shared state: a second node. It lives until the next reset. */
  node(): Promise<T>;
  /** Closes the nodes and empties the shared state (before each test). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export interface SqlBackend<T> extends Backend<T> {
  /** Rows of `table` (of one group when given), to see what a store left behind. */
  rows(table: string, groupId?: string): Promise<number>;
  /** The rows of a query without parameters, to see columns no port method returns. */
  select<R>(sql: string): Promise<R[]>;
}

/** Opens the backend before the tests of the enclosing describe, resets it before each, closes it after. */
export function useBackend<B extends Backend<unknown>>(open: () => Promise<B>): () => B {
  let backend: B | undefined;
  beforeAll(async () => {
    backend = await open();
  });
  beforeEach(() => backend?.reset());
  afterAll(() => backend?.close());
  return () => {
    if (backend === undefined) throw new Error('backend not open');
    return backend;
  };
}

const countSql = (table: string, groupId?: string) => `SELECT count(*) AS n FROM ${table}${groupId === undefined ? '' : ' WHERE group_id = $1'}`;

/** One SQLite file; each node is another connection to it with its own write batcher. */
export function sqliteBackend<T>(make: (db: SqliteDatabase, writes: SqliteWriteBatcher) => T, tables: readonly string[]) {
  return async (): Promise<SqlBackend<T>> => {
    const dir = mkdtempSync(join(tmpdir(), 'whispr-contract-'));
    const open = () => openSqliteDatabase(join(dir, 'whispr.sqlite'));
    const inspector = open();
    const nodes: SqliteDatabase[] = [];
    const reset = async () => {
      nodes.splice(0).forEach((db) => {
        db.close();
      });
      for (const table of tables) inspector.exec(`DELETE FROM ${table}`);
    };
    return {
      async node() {
        const db = open();
        nodes.push(db);
        return make(db, new SqliteWriteBatcher(db));
      },
      async rows(table, groupId) {
        const sql = countSql(table, groupId).replace('$1', '?');
        return (inspector.prepare(sql).get(...(groupId === undefined ? [] : [groupId])) as { n: number }).n;
      },
      select: async <R>(sql: string) => inspector.prepare(sql).all() as R[],
      reset,
      async close() {
        await reset();
        inspector.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  };
}

/** A fresh schema of the test database; each node is another pool (and gets a scratch directory of its own). */
export function postgresBackend<T>(make: (db: PgDatabase, scratchDir: string) => T, tables: readonly string[]) {
  return async (): Promise<SqlBackend<T>> => {
    const schema = await createTempSchema();
    const dir = mkdtempSync(join(tmpdir(), 'whispr-contract-'));
    const open = () => openPgDatabase(schema.url(), { maxConnections: 4, onIdleError: () => undefined });
    const inspector = open();
    await migratePostgres(inspector);
    const nodes: PgDatabase[] = [];
    const reset = async () => {
      await Promise.all(nodes.splice(0).map((db) => db.close()));
      // DELETE, not TRUNCATE: on a few rows it is much faster.
      for (const table of tables) await inspector.query(`DELETE FROM ${table}`);
    };
    return {
      async node() {
        const db = open();
        nodes.push(db);
        return make(db, mkdtempSync(join(dir, 'node-')));
      },
      async rows(table, groupId) {
        const [row] = await inspector.query<{ n: number }>(countSql(table, groupId), groupId === undefined ? [] : [groupId]);
        return row?.n ?? 0;
      },
      select: <R>(sql: string) => inspector.query<R>(sql),
      reset,
      async close() {
        await reset();
        await inspector.close();
        await schema.drop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  };
}
