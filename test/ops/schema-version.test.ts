// `whispr migrate [--status]` and the refusal of a database whose schema is newer than the code,
// on SQLite and on PostgreSQL, through the CLI as an operator runs it.
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_MIGRATIONS } from '../../src/storage/postgres/migrations.js';
import { SQLITE_MIGRATIONS } from '../../src/storage/sqlite/migrations.js';
import { runWhispr, type CliResult } from '../config/cli.js';
import { createTempSchema, withAdminClient, type TempSchema } from '../support/pg-schema.js';
import { requirePostgres } from '../support/services.js';

const cwd = mkdtempSync(join(tmpdir(), 'whispr-schema-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

const NEWER = 42;

function expectNewerRefused(result: CliResult, latest: number): void {
  expect(result.code).toBe(1);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toContain(`the database schema is at version ${NEWER} but this Whispr knows versions up to ${latest}`);
  expect(lines[0]).toContain('restore a backup made by this one');
  expect(result.stdout).not.toContain('whispr listening');
}

describe('SQLite schema versions', () => {
  const dataDir = mkdtempSync(join(cwd, 'sqlite-'));
  const whispr = (...args: string[]) => runWhispr([...args, '--data-dir', dataDir], { cwd });
  const latest = SQLITE_MIGRATIONS.length;

  it('migrate --status reports the pending versions without creating anything; migrate applies them once', async () => {
    const before = await whispr('migrate', '--status');
    expect(before.code).toBe(0);
    expect(before.stdout.trim()).toBe(`schema version 0 of ${latest}: versions 1 to ${latest} are pending (whispr migrate applies them)`);
    expect(existsSync(join(dataDir, 'whispr.sqlite'))).toBe(false);

    const migrate = await whispr('migrate');
    expect(migrate.code).toBe(0);
    expect(migrate.stdout.trim()).toBe(`schema migrated to version ${latest} (applied ${Array.from({ length: latest }, (_, i) => i + 1).join(', ')})`);
    expect((await whispr('migrate')).stdout.trim()).toBe(`schema version ${latest}: up to date`);
    expect((await whispr('migrate', '--status')).stdout.trim()).toBe(`schema version ${latest}: up to date`);
  });

  it(`a schema version ${NEWER} inserted by hand: serve, migrate and migrate --status refuse with one line`, async () => {
    const db = new Database(join(dataDir, 'whispr.sqlite'));
    db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)').run(NEWER);
    db.close();
    expectNewerRefused(await runWhispr(['serve', '--port', '0', '--data-dir', dataDir], { cwd }), latest);
    expectNewerRefused(await whispr('migrate'), latest);
    expectNewerRefused(await whispr('migrate', '--status'), latest);
  });
});

const pgAvailable = await requirePostgres('test/ops/schema-version.test.ts');

describe.runIf(pgAvailable)('PostgreSQL schema versions', () => {
  let schema: TempSchema;
  beforeAll(async () => {
    schema = await createTempSchema();
  });
  afterAll(() => schema.drop());
  const whispr = (...args: string[]) =>
    runWhispr([...args, '--storage', 'postgres', '--data-dir', mkdtempSync(join(cwd, 'pg-'))], { cwd, env: { WHISPR_DATABASE_URL: schema.url() } });
  const latest = POSTGRES_MIGRATIONS.length;

  it(`migrate brings a fresh schema to ${latest}; a version ${NEWER} inserted by hand is refused by serve, migrate and --status`, async () => {
    expect((await whispr('migrate', '--status')).stdout.trim()).toContain(`schema version 0 of ${latest}`);
    const migrate = await whispr('migrate');
    expect(migrate.code, migrate.stderr).toBe(0);
    expect(migrate.stdout.trim()).toMatch(new RegExp(`^schema migrated to version ${latest} \\(applied 1, `));

    await withAdminClient((c) => c.query(`INSERT INTO ${schema.name}.schema_migrations (version, applied_at) VALUES ($1, 0)`, [NEWER]));
    expectNewerRefused(await whispr('serve', '--port', '0'), latest);
    expectNewerRefused(await whispr('migrate'), latest);
    expectNewerRefused(await whispr('migrate', '--status'), latest);
  });
});
