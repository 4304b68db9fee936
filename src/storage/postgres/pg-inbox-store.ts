import type { FullQueue, QueueCaps } from '../../features/queues/index.js';
import { type EnqueueResult, type InboxStore, type NewMessage, type QueuedMessage, queuedMessage } from '../../features/relay/index.js';
import { oldestFirst, type InboxRow as Row } from '../inbox-row.js';
import { type PgDatabase, type PgStatement, prepared } from './pg-database.js';
import { PgTurnBatcher } from './pg-turn-batcher.js';

const COLUMNS = 'id, recipient, sender, enc_pub, message, signature, "timestamp"';
/** Unleased and unexpired at the time in the statement parameter `now` (e.g. '$4'), of the rows named `row` (e.g. 'q.'). */
const available = (now: string, row = '') =>
  `(${row}lease_until IS NULL OR ${row}lease_until <= ${now}) AND (${row}expires_at IS NULL OR ${row}expires_at > ${now})`;

/** One enqueue waiting for its batch. */
interface EnqueueCall {
  message: NewMessage;
  caps: QueueCaps;
  now: number;
}

/** A result row of inbox_enqueue_batch (migration 8). */
interface EnqueueRow {
  outcome: 'queued' | 'duplicate' | FullQueue;
  result_id: number;
  result_timestamp: number;
}

const ENQUEUE_BATCH = prepared(
  'inbox_enqueue_batch',
  `SELECT outcome, result_id, result_timestamp FROM inbox_enqueue_batch(
  $1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::float8[], $8::float8[], $9::text[], $10::float8[],
  $11::bigint[], $12::bigint[], $13::bigint[], $14)`,
);

/** One lease of given ids waiting for its batch (a push of what another node just queued). */
interface LeaseCall {
  recipient: string;
  ids: readonly number[];
  leaseUntil: number;
  now: number;
}

/** inbox_lease_ids (schema 10): the given (id, recipient) pairs that are ready, leased. */
const LEASE_IDS = prepared('inbox_lease_ids', `SELECT ${COLUMNS} FROM inbox_lease_ids($1::bigint[], $2::text[], $3, $4)`);
const LEASE_ALL = prepared(
  'inbox_lease_all',
  `UPDATE inbox_messages SET lease_until = $2 WHERE id IN (
     SELECT id FROM inbox_messages WHERE recipient = $1 AND ${available('$3')} FOR UPDATE SKIP LOCKED)
   RETURNING ${COLUMNS}`,
);
const REMOVE = prepared('inbox_remove', 'DELETE FROM inbox_messages WHERE id = ANY ($1::bigint[])');
const RELEASE = prepared('inbox_release', 'UPDATE inbox_messages SET lease_until = NULL WHERE id = ANY ($1::bigint[])');

/** The message fields inbox_enqueue_batch takes, in the order of its array parameters. */
const MESSAGE_FIELDS = [
  'recipient',
  'from',
  'fromAddress',
  'enc_pub',
  'message',
  'signature',
  'timestamp',
  'expiresAt',
  'replayKey',
  'replayExpiresAt',
] as const satisfies readonly (keyof NewMessage)[];
const CAP_FIELDS = ['total', 'perSender', 'perAddress'] as const satisfies readonly (keyof QueueCaps)[];

/** The calls of one batch as the function's parameters, one array per column. */
function enqueueParams(calls: readonly EnqueueCall[]): unknown[] {
  return [
    ...MESSAGE_FIELDS.map((field) => calls.map((c) => c.message[field])),
    ...CAP_FIELDS.map((field) => calls.map((c) => c.caps[field])),
    // A receipt counts as expired from the newest clock reading of the batch: they differ by a turn at most.
    Math.max(...calls.map((c) => c.now)),
  ];
}

function enqueueResult(row: EnqueueRow, call: EnqueueCall): EnqueueResult {
  if (row.outcome === 'queued') return { status: 'queued', message: queuedMessage(row.result_id, call.message) };
  if (row.outcome === 'duplicate') return { status: 'duplicate', id: row.result_id, timestamp: row.result_timestamp };
  return { status: 'full', cap: row.outcome };
}

/**
 * The inbox on PostgreSQL, safe with any number of nodes on one database. The enqueues of one
 * event-loop turn go to the database as one statement (inbox_enqueue_batch, one round trip, atomic
 * on its own), which serializes per recipient with a row lock, so the caps and the replay check hold
 * across processes; lease and drain claim rows with FOR UPDATE SKIP LOCKED, so no row is handed out twice.
 */
export function createPgInboxStore(db: PgDatabase): InboxStore {
  const enqueues = new PgTurnBatcher<EnqueueCall, EnqueueResult>(async (calls) => {
    const rows = await db.query<EnqueueRow>(ENQUEUE_BATCH, enqueueParams(calls));
    return rows.map((row, i) => enqueueResult(row, calls[i] as EnqueueCall));
  });
  // A push leases what was just queued, writes it, then removes it (or releases it): the pushes of
  // one turn (a burst of wake-ups from the bus) share one statement for each step.
  const leases = new PgTurnBatcher<LeaseCall, QueuedMessage[]>(async (calls) => {
    const pairs = calls.flatMap((c) => c.ids.map((id) => ({ id, recipient: c.recipient })));
    // The clock readings of a turn differ by a turn at most: the newest one counts for all.
    const latest = calls.reduce((a, b) => (b.now > a.now ? b : a));
    const rows = await db.query<Row>(LEASE_IDS, [pairs.map((p) => p.id), pairs.map((p) => p.recipient), latest.leaseUntil, latest.now]);
    const byId = new Map(rows.map((row) => [row.id, row]));
    // An id asked for twice in a turn goes to the first call.
    return calls.map((c) => {
      const mine: Row[] = [];
      for (const id of c.ids) {
        const row = byId.get(id);
        if (row !== undefined && byId.delete(id)) mine.push(row);
      }
      return oldestFirst(mine);
    });
  });
  const idsBatcher = (statement: PgStatement) =>
    new PgTurnBatcher<readonly number[], true>(async (calls) => {
      await db.query(statement, [calls.flat()]);
      return calls.map(() => true);
    });
  const removes = idsBatcher(REMOVE);
  const releases = idsBatcher(RELEASE);
  const forIds = (batcher: PgTurnBatcher<readonly number[], true>) => async (ids: readonly number[]) => {
    if (ids.length > 0) await batcher.run(ids);
  };

  return {
    enqueue: (message, caps, now) => enqueues.run({ message, caps, now }),
    async drain(recipient, since, limit, now) {
      const rows = await db.query<Row>(
        `DELETE FROM inbox_messages WHERE id IN (
           SELECT id FROM inbox_messages WHERE recipient = $1 AND "timestamp" > $2 AND ${available('$4')}
           ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
         RETURNING ${COLUMNS}`,
        [recipient, since, limit, now],
      );
      return oldestFirst(rows);
    },
    async lease(recipient, ids, leaseUntil, now) {
      if (ids !== 'all') return ids.length === 0 ? [] : leases.run({ recipient, ids, leaseUntil, now });
      return oldestFirst(await db.query<Row>(LEASE_ALL, [recipient, leaseUntil, now]));
    },
    remove: forIds(removes),
    release: forIds(releases),
    // Deliberately nothing: with several nodes, a lease seen here may belong to a live push on another
    // node, and clearing it could deliver that message twice. A crashed node's leases simply expire.
    async releaseAll() {},
    async waiting(recipients, now) {
      const rows = await db.query<{ recipient: string }>(
        `SELECT DISTINCT recipient FROM inbox_messages WHERE recipient = ANY($1::text[]) AND ${available('$2')}`,
        [recipients, now],
      );
      return rows.map((r) => r.recipient);
    },
    async purgeExpired(now) {
      // One statement: every delete runs (a data-modifying WITH always does), only the count travels back.
      // Receipts and recipient locks that a batch holds are skipped (the next sweep takes them), so a
      // sweep never waits for a batch that could be waiting for it. A recipient's lock row goes once
      // nothing is queued for it (its depth, schema 10, is 0), so keys that were sent to once do not pile up.
      const [row] = await db.query<{ n: number }>(
        `WITH receipts AS (DELETE FROM send_receipts WHERE replay_key IN (
                SELECT replay_key FROM send_receipts WHERE expires_at <= $1 FOR UPDATE SKIP LOCKED)),
              locks AS (DELETE FROM inbox_recipient_locks WHERE recipient IN (
                SELECT recipient FROM inbox_recipient_locks WHERE queued = 0 FOR UPDATE SKIP LOCKED)),
              messages AS (DELETE FROM inbox_messages WHERE expires_at IS NOT NULL AND expires_at <= $1 RETURNING 1)
         SELECT count(*) AS n FROM messages`,
        [now],
      );
      return row?.n ?? 0;
    },
    async totalQueued() {
      const [row] = await db.query<{ n: number }>('SELECT count(*) AS n FROM inbox_messages');
      return row?.n ?? 0;
    },
  };
}
