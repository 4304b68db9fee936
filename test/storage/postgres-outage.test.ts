/** A database that cannot answer is a 503 DATABASE_UNAVAILABLE (so HTTP answers 503, not 500); a bad query is not. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ApiError } from '../../src/core/errors.js';
import { createPgAccountStore } from '../../src/storage/postgres/pg-account-store.js';
import { createPgAnalyticsStore } from '../../src/storage/postgres/pg-analytics-store.js';
import { createPgChatGroupStore } from '../../src/storage/postgres/pg-chat-group-store.js';
import { createPgChatUserStore } from '../../src/storage/postgres/pg-chat-user-store.js';
import { createPgInboxStore } from '../../src/storage/postgres/pg-inbox-store.js';
import { createPgUserQueueStore } from '../../src/storage/postgres/pg-user-queue-store.js';
import { openPostgresStorage } from '../../src/storage/postgres/open-postgres-storage.js';
import { openPgDatabase, type PgDatabase } from '../../src/storage/postgres/pg-database.js';
import { createTempSchema, withAdminClient, type TempSchema } from '../support/pg-schema.js';
import { requirePostgres } from '../support/services.js';
import { capOf } from './queue-caps.js';

const CLOSED_PORT_URL = 'postgres://postgres@127.0.0.1:1/test';
const UNAVAILABLE = { status: 503, code: 'DATABASE_UNAVAILABLE' };

const available = await requirePostgres('test/storage/postgres-outage.test.ts');

describe.runIf(available)('PostgreSQL outages', () => {
  let schema: TempSchema;
  const pools: PgDatabase[] = [];
  const open = (url: string, options: { maxConnections?: number; connectTimeoutMs?: number } = {}) => {
    const db = openPgDatabase(url, { onIdleError: () => undefined, ...options });
    pools.push(db);
    return db;
  };
  beforeAll(async () => {
    schema = await createTempSchema();
  });
  afterAll(async () => {
    await Promise.all(pools.map((db) => db.close()));
    await schema.drop();
  });

  test('a store whose database refuses connections rejects with ApiError 503, reads and transactions alike', async () => {
    const inbox = createPgInboxStore(open(CLOSED_PORT_URL));
    const read = inbox.totalQueued();
    await expect(read).rejects.toBeInstanceOf(ApiError);
    await expect(read).rejects.toMatchObject(UNAVAILABLE);
    const write = inbox.enqueue(
      {
        recipient: 'r',
        from: 'f',
        enc_pub: 'e',
        message: 'bQ==',
        signature: 's',
        timestamp: 1,
        replayKey: 'k',
        expiresAt: null,
        replayExpiresAt: 2,
        fromAddress: 'a',
      },
      capOf(10),
      1,
    );
    await expect(write).rejects.toMatchObject(UNAVAILABLE);
    await expect(read.catch((e: Error) => e.cause)).resolves.toMatchObject({ code: 'ECONNREFUSED' }); // kept for the logs
  });

  test('the account, queue, analytics and chat stores reject with 503 too, reads and transactions alike', async () => {
    const db = open(CLOSED_PORT_URL);
    const accounts = createPgAccountStore(db);
    const queues = createPgUserQueueStore(db);
    const analytics = createPgAnalyticsStore(db);
    const groups = createPgChatGroupStore(db);
    const calls: Array<Promise<unknown>> = [
      accounts.count(),
      accounts.claimBundle('p', 1),
      accounts.register(
        { phoneHash: 'p', identityKey: Buffer.alloc(32), signedPrekey: Buffer.alloc(32), prekeySignature: Buffer.alloc(64), oneTimePrekeys: [] },
        'id',
        { anyone: true },
        10,
        1,
      ),
      queues.list('r', 0, 10, 1),
      queues.append({ recipientId: 'r', eventId: 'e', body: '{}', createdAt: 1, expiresAt: null, origin: null }, capOf(10)),
      analytics.totals(),
      analytics.apply({ today: '2030-01-01', counters: [], activeUsers: [] }),
      createPgChatUserStore(db).search('a', 10),
      groups.get('g'),
      groups.addMember({ groupId: 'g', actorId: 'a', userId: 'b', at: 1, maxMembers: 10 }),
    ];
    // Every rejection is watched at once: the batched calls (queue list and append) fail together.
    await Promise.all(calls.map((call) => expect(call).rejects.toMatchObject(UNAVAILABLE)));
  });

  test('openPostgresStorage against a closed port rejects with 503 too', async () => {
    const spoolDir = mkdtempSync(join(tmpdir(), 'whispr-spool-'));
    await expect(openPostgresStorage(CLOSED_PORT_URL, { spoolDir, onIdleError: () => undefined })).rejects.toMatchObject(UNAVAILABLE);
    rmSync(spoolDir, { recursive: true, force: true });
  });

  test('every pooled connection busy past the connect timeout is a 503, not a hang', async () => {
    const db = open(schema.url(), { maxConnections: 1, connectTimeoutMs: 100 });
    const busy = db.query('SELECT pg_sleep(2)').then(() => 'the busy connection came free');
    // The 503 comes while the only connection is still busy, twenty connect timeouts later at the most.
    expect(await Promise.race([db.query('SELECT 1').catch((error: unknown) => error), busy])).toMatchObject(UNAVAILABLE);
    await busy;
  });

  test('a connection terminated mid-query is a 503, and the pool recovers with a new connection', async () => {
    const name = `${schema.name}_victim`;
    const db = open(schema.url({ application_name: name }), { maxConnections: 1 });
    const query = db.query('SELECT pg_sleep(10)');
    const outcome = query.then(
      () => 'answered',
      (error: unknown) => error,
    );
    await withAdminClient(async (admin) => {
      // Waits until the query runs, then kills its backend as a database restart would.
      for (let killed = 0; killed === 0; ) {
        await new Promise((r) => setTimeout(r, 20));
        const result = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND state = 'active'", [name]);
        killed = result.rowCount ?? 0;
      }
    });
    expect(await outcome).toMatchObject(UNAVAILABLE);
    expect(await db.query<{ n: number }>('SELECT 1 AS n')).toEqual([{ n: 1 }]);
  });

  test('a query fault stays what it is: no 503 for a constraint or a syntax error', async () => {
    const db = open(schema.url());
    await expect(db.query('SELECT 1 / 0')).rejects.toMatchObject({ code: '22012' });
    await expect(db.query('SELEKT 1')).rejects.toMatchObject({ code: '42601' });
    await expect(db.query('SELECT 1 / 0')).rejects.not.toBeInstanceOf(ApiError);
  });
});
