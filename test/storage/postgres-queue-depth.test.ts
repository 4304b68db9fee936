// Schema 10 keeps each queue's depth on its lock row (the cap checks read it instead of counting):
// it must be derived from an older database's rows, and stay equal to the rows' count through
// concurrent appends and every kind of delete, on several nodes.
import { describe, expect, test } from 'vitest';
import type { NewEvent } from '../../src/features/queues/index.js';
import type { NewMessage } from '../../src/features/relay/index.js';
import { migratePostgres } from '../../src/storage/postgres/migrate.js';
import { POSTGRES_MIGRATIONS } from '../../src/storage/postgres/migrations.js';
import type { PgDatabase } from '../../src/storage/postgres/pg-database.js';
import { createPgInboxStore } from '../../src/storage/postgres/pg-inbox-store.js';
import { createPgUserQueueStore } from '../../src/storage/postgres/pg-user-queue-store.js';
import { useTempSchemaPools } from '../support/pg-schema.js';
import { requirePostgres } from '../support/services.js';
import { capOf } from './queue-caps.js';

const available = await requirePostgres('test/storage/postgres-queue-depth.test.ts');

const INBOX_DEPTHS = `SELECT l.recipient, l.queued, (SELECT count(*) FROM inbox_messages AS m WHERE m.recipient = l.recipient) AS rows
  FROM inbox_recipient_locks AS l ORDER BY 1`;
const EVENT_DEPTHS = `SELECT c.recipient_id AS recipient, c.queued, (SELECT count(*) FROM user_queue_events AS e WHERE e.recipient_id = c.recipient_id) AS rows
  FROM user_queue_counters AS c ORDER BY 1`;

interface Depth {
  recipient: string;
  queued: number;
  rows: number;
}

let serial = 0;
const message = (recipient: string, sender: string, expiresAt: number | null = null): NewMessage => {
  serial += 1;
  return {
    recipient,
    from: sender,
    fromAddress: `10.0.0.${serial % 4}`,
    enc_pub: 'e',
    message: `m${serial}`,
    signature: `s${serial}`,
    timestamp: serial,
    replayKey: `k${serial}`,
    expiresAt,
    replayExpiresAt: 1e12,
  };
};
const event = (recipientId: string, sender: string, expiresAt: number | null = null): NewEvent => {
  serial += 1;
  return { recipientId, eventId: `e${serial}`, body: '{}', createdAt: serial, expiresAt, origin: { sender, address: `10.0.0.${serial % 4}` } };
};

describe.runIf(available)('PostgreSQL queue depths (schema 10)', () => {
  const { open } = useTempSchemaPools({ maxConnections: 4 });

  test("version 10 derives each queue's depth from the rows an older database holds", async () => {
    const db = open();
    await migratePostgres(db, POSTGRES_MIGRATIONS.slice(0, 9));
    // A recipient with a lock row (version 8 on), one whose messages predate it, and event queues.
    await db.query(`
      INSERT INTO inbox_recipient_locks (recipient) VALUES ('alice');
      INSERT INTO inbox_messages (recipient, sender, enc_pub, message, signature, "timestamp")
        VALUES ('alice', 's', 'e', 'm', 's1', 1), ('alice', 's', 'e', 'm', 's2', 2), ('bob', 's', 'e', 'm', 's3', 3);
      INSERT INTO user_queue_counters (recipient_id, last_seq) VALUES ('carol', 7), ('dave', 2);
      INSERT INTO user_queue_events (recipient_id, seq, event_id, body, created_at) VALUES ('carol', 6, 'a', '{}', 1), ('carol', 7, 'b', '{}', 1);
    `);
    await migratePostgres(db);
    expect(await db.query<Depth>(INBOX_DEPTHS)).toEqual([
      { recipient: 'alice', queued: 2, rows: 2 },
      { recipient: 'bob', queued: 1, rows: 1 },
    ]);
    expect(await db.query<Depth>(EVENT_DEPTHS)).toEqual([
      { recipient: 'carol', queued: 2, rows: 2 },
      { recipient: 'dave', queued: 0, rows: 0 },
    ]);
    // The full-queue check reads the derived depth: alice holds 2 of 3.
    const inbox = createPgInboxStore(db);
    expect((await inbox.enqueue(message('alice', 'x'), capOf(3), 1)).status).toBe('queued');
    expect(await inbox.enqueue(message('alice', 'y'), capOf(3), 1)).toEqual({ status: 'full', cap: 'recipient' });
  });

  test('the depth equals the rows through concurrent appends, leases, deliveries, drains, acknowledgements and expiry on two nodes', async () => {
    const pools = [open(), open()];
    const nodes = pools.map((db) => ({ inbox: createPgInboxStore(db), events: createPgUserQueueStore(db) }));
    const recipients = ['r1', 'r2', 'r3', 'r4', 'r5'];
    const caps = { total: 30, perSender: 12, perAddress: 20 };
    const rounds = Array.from({ length: 6 }, (_, round) =>
      nodes.map(async ({ inbox, events }, n) => {
        const sender = `node${n}-sender${round % 3}`;
        // Every third item expires at once: purgeExpired removes it below.
        const queued = await Promise.all(recipients.map((r, i) => inbox.enqueue(message(r, sender, i % 3 === 0 ? 5 : null), caps, 1)));
        await Promise.all(recipients.map((r, i) => events.append(event(r, sender, i % 3 === 0 ? 5 : null), caps)));
        await events.appendEach(
          recipients.map((r) => event(r, sender)),
          caps,
        );
        const ids = queued.flatMap((q) => (q.status === 'queued' ? [q.message.id] : []));
        const leased = await inbox.lease('r1', 'all', 100, 1);
        await inbox.remove(leased.slice(0, 1).map((m) => m.id));
        await inbox.release(leased.slice(1).map((m) => m.id));
        await inbox.drain('r2', 0, 2, 1);
        await inbox.remove(ids.slice(-1));
        const page = await events.list('r3', 0, 3, 1);
        const acked = await Promise.all(page.map((e) => events.ack('r3', e.eventId)));
        return acked.filter(Boolean).length;
      }),
    );
    const acked = (await Promise.all(rounds.flat())).reduce((a, b) => a + b, 0);
    const purges = await Promise.all(nodes.map(({ inbox, events }) => Promise.all([inbox.purgeExpired(10), events.purgeExpired(10)])));
    const db = pools[0] as PgDatabase;
    const inboxDepths = await db.query<Depth>(INBOX_DEPTHS);
    const eventDepths = await db.query<Depth>(EVENT_DEPTHS);
    for (const d of [...inboxDepths, ...eventDepths].filter((d) => recipients.includes(d.recipient))) expect(d.queued, d.recipient).toBe(d.rows);
    // Both directions were exercised: rows stayed queued, events were acknowledged, and both stores purged.
    expect(inboxDepths.filter((d) => recipients.includes(d.recipient)).some((d) => d.rows > 0)).toBe(true);
    expect(acked).toBeGreaterThan(0);
    expect(purges.reduce(([messages, events], [m, e]) => [messages + m, events + e], [0, 0]).every((n) => n > 0)).toBe(true);
  });
});
