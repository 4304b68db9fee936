// `whispr backup` while the server is busy, then `whispr restore` into a new data directory and a
// server started on it: everything acknowledged before the backup began is there (direct
// messages, their attachments, a group and its file, the server's key). Plus the refusals.
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_MIGRATIONS } from '../../src/storage/postgres/migrations.js';
import { GroupClient, generateIdentity, type Identity, text, WhisprClient } from 'whispr-sdk';
import { runWhispr, type CliResult } from '../config/cli.js';
import { killAllChildren, startChildServer } from '../durability/child-server.js';
import { createTempSchema, type TempSchema } from '../support/pg-schema.js';
import { requirePostgres } from '../support/services.js';
import { startServer, type RunningServer } from '../support/test-server.js';

const cwd = mkdtempSync(join(tmpdir(), 'whispr-backup-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));
afterEach(killAllChildren);

const freshDir = (name: string) => join(mkdtempSync(join(cwd, `${name}-`)), 'dir');

function expectOneLineRefusal(result: CliResult, ...fragments: string[]): void {
  expect(result.code).toBe(1);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  for (const fragment of fragments) expect(lines[0]).toContain(fragment);
}

/** What was acknowledged before the backup began, to be found again after the restore. */
interface Acknowledged {
  messages: string[];
  attachments: Array<{ id: string; bytes: Buffer }>;
  group: { id: string; fileId: string; bytes: Buffer };
}

describe('whispr backup and restore (SQLite)', () => {
  let source: RunningServer;
  const alice = generateIdentity();
  const bob = generateIdentity();
  const on = (url: string, identity: Identity) => new WhisprClient({ baseUrl: url, identity });
  const acknowledged: Acknowledged = { messages: [], attachments: [], group: { id: '', fileId: '', bytes: Buffer.alloc(0) } };
  let backupDir: string;

  beforeAll(async () => {
    // The traffic below queues many messages for one recipient from one address: lift the fair shares.
    source = await startServer({ max_messages_per_second: 100_000, max_queued_per_sender: 100_000, max_queued_per_address: 100_000 });
    const from = on(source.url, alice);
    const to = on(source.url, bob);
    for (let i = 0; i < 20; i++) {
      const text = `before the backup #${i}`;
      await from.send(to.address, text);
      acknowledged.messages.push(text);
    }
    for (let i = 0; i < 3; i++) {
      const bytes = randomBytes(2048 + i);
      acknowledged.attachments.push({ id: await from.uploadRaw(to.address, bytes, `file-${i}.bin`), bytes });
    }
    const owner = new GroupClient(from);
    const { id } = await owner.create('backed up');
    const bytes = randomBytes(4096);
    acknowledged.group = { id, fileId: (await owner.upload(id, bytes)).id, bytes };
  });
  afterAll(() => source.stop());

  it('a backup taken under traffic, restored into a new directory, serves everything acknowledged before it began', async () => {
    // Traffic from other clients for as long as the backup runs: messages and attachments, four senders at once.
    const dave = on(source.url, generateIdentity());
    let busy = true;
    let duringBackup = 0;
    const sender = async () => {
      const carol = on(source.url, generateIdentity());
      while (busy) {
        await carol.send(dave.address, `during the backup #${duringBackup}`);
        await carol.uploadRaw(dave.address, randomBytes(1024), 'during.bin');
        duringBackup++;
      }
    };
    const traffic = Promise.all([sender(), sender(), sender(), sender()]);
    backupDir = freshDir('backup');
    const backup = await runWhispr(['backup', '--data-dir', source.dataDir, '--out', backupDir], { cwd });
    busy = false;
    await traffic;
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    expect(backup.stdout).toContain(`backup written to ${backupDir}`);
    expect(duringBackup).toBeGreaterThan(0); // the backup really ran beside writes
    const snapshot = new Database(join(backupDir, 'whispr.sqlite'), { readonly: true });
    expect(snapshot.pragma('integrity_check', { simple: true })).toBe('ok');
    snapshot.close();

    const restoredDir = freshDir('restored');
    const restore = await runWhispr(['restore', '--from', backupDir, '--data-dir', restoredDir], { cwd });
    expect(restore.stderr).toBe('');
    expect(restore.code).toBe(0);

    const restored = await startChildServer(restoredDir);
    expect(await fetch(`${restored.url}/public-key`).then((r) => r.json())).toEqual(await fetch(`${source.url}/public-key`).then((r) => r.json()));
    const to = on(restored.url, bob);
    const inbox = await to.fetchInbox();
    const texts = inbox.map((m) => text(to.open(m).plaintext));
    expect(texts.filter((t) => t.startsWith('before the backup'))).toEqual(acknowledged.messages);
    for (const { id, bytes } of acknowledged.attachments) expect(Buffer.from((await to.download(id)).bytes).equals(bytes)).toBe(true);
    const owner = new GroupClient(on(restored.url, alice));
    expect((await owner.info(acknowledged.group.id)).name).toBe('backed up');
    expect(Buffer.from(await owner.download(acknowledged.group.id, acknowledged.group.fileId)).equals(acknowledged.group.bytes)).toBe(true);
  });

  it('restore refuses a data directory that holds something unless --force, and then replaces its data', async () => {
    const occupied = freshDir('occupied');
    const first = await runWhispr(['restore', '--from', backupDir, '--data-dir', occupied], { cwd });
    expect(first.code).toBe(0);
    expectOneLineRefusal(await runWhispr(['restore', '--from', backupDir, '--data-dir', occupied], { cwd }), 'is not empty', '--force');
    // --force replaces the data paths (a stray attachment goes) and leaves anything else alone.
    mkdirSync(join(occupied, 'attachments', 'zz'), { recursive: true });
    writeFileSync(join(occupied, 'attachments', 'zz', 'stray.bin'), 'x');
    writeFileSync(join(occupied, 'notes.txt'), 'mine');
    const forced = await runWhispr(['restore', '--from', backupDir, '--data-dir', occupied, '--force'], { cwd });
    expect(forced.stderr).toBe('');
    expect(forced.code).toBe(0);
    expect(existsSync(join(occupied, 'attachments', 'zz', 'stray.bin'))).toBe(false);
    expect(readFileSync(join(occupied, 'notes.txt'), 'utf8')).toBe('mine');
    expect(readFileSync(join(occupied, 'server-key.json'), 'utf8')).toBe(readFileSync(join(backupDir, 'server-key.json'), 'utf8'));
  });

  it('backup refuses an output directory that holds something; restore refuses a directory that is no backup', async () => {
    const used = freshDir('used');
    const made = await runWhispr(['backup', '--data-dir', source.dataDir, '--out', used], { cwd });
    expect(made.code).toBe(0);
    expectOneLineRefusal(await runWhispr(['backup', '--data-dir', source.dataDir, '--out', used], { cwd }), 'is not empty', 'new or empty directory');
    expectOneLineRefusal(await runWhispr(['restore', '--from', cwd, '--data-dir', freshDir('target')], { cwd }), 'is not a Whispr backup');
  });

  it('restore refuses a backup whose schema is newer than this code', async () => {
    const newer = freshDir('newer');
    expect((await runWhispr(['backup', '--data-dir', source.dataDir, '--out', newer], { cwd })).code).toBe(0);
    const db = new Database(join(newer, 'whispr.sqlite'));
    db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (42, 0)').run();
    db.close();
    const target = freshDir('target');
    expectOneLineRefusal(await runWhispr(['restore', '--from', newer, '--data-dir', target], { cwd }), 'schema is at version 42');
  });
});

const pgAvailable = await requirePostgres('test/ops/backup-restore.test.ts');

describe.runIf(pgAvailable)('whispr backup with storage=postgres', () => {
  let schema: TempSchema;
  beforeAll(async () => {
    schema = await createTempSchema();
  });
  afterAll(() => schema.drop());

  it('copies the secrets, records the schema version and says the database is for pg_dump', async () => {
    const dataDir = freshDir('pg-data');
    const env = { WHISPR_DATABASE_URL: schema.url() };
    expect((await runWhispr(['migrate', '--storage', 'postgres', '--data-dir', dataDir], { cwd, env })).code).toBe(0);
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'token-secret'), 'ab'.repeat(32));
    const out = freshDir('pg-backup');
    const result = await runWhispr(['backup', '--storage', 'postgres', '--data-dir', dataDir, '--out', out], { cwd, env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.trim()).toBe(
      'whispr: storage=postgres: the database is not in this backup; use pg_dump / pg_restore for it (see docs/operations.md, Backups)',
    );
    expect(readFileSync(join(out, 'token-secret'), 'utf8')).toBe('ab'.repeat(32));
    expect(JSON.parse(readFileSync(join(out, 'whispr-backup.json'), 'utf8'))).toMatchObject({
      storage: 'postgres',
      schema_version: POSTGRES_MIGRATIONS.length,
    });
  });
});
