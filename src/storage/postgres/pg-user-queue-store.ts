import { capReached, storedOrigin, type QueueCaps, type AppendResult, type NewEvent, type UserQueueStore } from '../../features/queues/index.js';
import { requireDistinctRecipients, toQueuedEvent, USER_QUEUE_COLUMNS as COLUMNS, type UserQueueRow as Row } from '../user-queue-row.js';
import { LockSpace, lockEachUntilCommit } from './advisory-locks.js';
import { anyRow, countOf, type PgDatabase, type PgQueryable } from './pg-database.js';

/**
 * A recipient's queue length and the shares of the event's sender and address in it, and its stored
 * event when the event id is known (seq null otherwise).
 */
type QueueState = Omit<Row, 'seq'> & { seq: number | null; total: number; sender: number; address: number };

/**
 * Durable per-user queues on PostgreSQL, safe with any number of nodes on one database. An append
 * holds an advisory lock on each recipient for its whole transaction, so the duplicate check, the cap
 * and the next sequence number are decided by one node at a time; the counter row outlives the
 * events, so a recipient's sequence only grows, without gaps (a refused or failed append takes no
 * number). However many recipients, a batch costs the same statements: lock, read, insert.
 */
export function createPgUserQueueStore(db: PgDatabase): UserQueueStore {
  /** The sequence number each event got, by recipient: counters bumped and rows inserted in one statement. */
  const insertNumbered = async (tx: PgQueryable, events: readonly NewEvent[]): Promise<Map<string, number>> => {
    if (events.length === 0) return new Map();
    // Each distinct body is sent once (the copies of a group event share one): a statement carries
    // one payload, not one per member, whatever the size of the group.
    const bodies = [...new Set(events.map((e) => e.body))];
    const bodyAt = new Map(bodies.map((body, i) => [body, i + 1]));
    const rows = await tx.query<{ recipient_id: string; seq: number }>(
      `WITH numbered AS (
         INSERT INTO user_queue_counters (recipient_id, last_seq) SELECT unnest($1::text[]), 1
         ON CONFLICT (recipient_id) DO UPDATE SET last_seq = user_queue_counters.last_seq + 1
         RETURNING recipient_id, last_seq)
       INSERT INTO user_queue_events (recipient_id, seq, event_id, body, created_at, expires_at, sender, sender_address)
       SELECT n.recipient_id, n.last_seq, e.event_id, ($3::text[])[e.body_at], e.created_at, e.expires_at, e.sender, e.sender_address
       FROM numbered n
       JOIN unnest($1::text[], $2::text[], $4::int[], $5::float8[], $6::float8[], $7::text[], $8::text[])
         AS e (recipient_id, event_id, body_at, created_at, expires_at, sender, sender_address)
         ON e.recipient_id = n.recipient_id
       RETURNING recipient_id, seq`,
      [
        events.map((e) => e.recipientId),
        events.map((e) => e.eventId),
        bodies,
        events.map((e) => bodyAt.get(e.body)),
        events.map((e) => e.createdAt),
        events.map((e) => e.expiresAt),
        events.map((e) => storedOrigin(e.origin).sender),
        events.map((e) => storedOrigin(e.origin).address),
      ],
    );
    return new Map(rows.map((r) => [r.recipient_id, r.seq]));
  };

  const appendLocked = async (tx: PgQueryable, events: readonly NewEvent[], caps: QueueCaps): Promise<AppendResult[]> => {
    const recipients = events.map((e) => e.recipientId);
    await lockEachUntilCommit(tx, LockSpace.userQueue, recipients);
    // Expired but unpurged events still answer their id, and still count towards the caps (index-only counts).
    const origins = events.map((e) => storedOrigin(e.origin));
    const states = await tx.query<QueueState>(
      `SELECT recipient_id, event_id, k.seq, k.body, k.created_at, k.expires_at,
         (SELECT count(*) FROM user_queue_events q WHERE q.recipient_id = r.recipient_id) AS total,
         (SELECT count(*) FROM user_queue_events q WHERE q.recipient_id = r.recipient_id AND q.sender = r.sender) AS sender,
         (SELECT count(*) FROM user_queue_events q WHERE q.recipient_id = r.recipient_id AND q.sender_address = r.sender_address) AS address
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS r (recipient_id, event_id, sender, sender_address)
       LEFT JOIN user_queue_events k USING (recipient_id, event_id)`,
      [recipients, events.map((e) => e.eventId), origins.map((o) => o.sender), origins.map((o) => o.address)],
    );
    const stateOf = new Map(states.map((s) => [s.recipient_id, s]));
    const decided = events.map((event): AppendResult | undefined => {
      const state = stateOf.get(event.recipientId) as QueueState; // one row per input row
      if (state.seq !== null) return { status: 'duplicate', event: toQueuedEvent(state as Row) };
      const cap = capReached(state, caps, event.origin);
      return cap === undefined ? undefined : { status: 'full', cap };
    });
    const seqs = await insertNumbered(
      tx,
      events.filter((_, i) => decided[i] === undefined),
    );
    return events.map((event, i) => {
      const { origin: _o, ...queued } = event;
      return decided[i] ?? { status: 'queued', event: { ...queued, seq: seqs.get(event.recipientId) as number } };
    });
  };

  const appendEach = async (events: readonly NewEvent[], caps: QueueCaps): Promise<AppendResult[]> => {
    requireDistinctRecipients(events);
    return events.length === 0 ? [] : db.transaction((tx) => appendLocked(tx, events, caps));
  };

  return {
    append: async (event, caps) => (await appendEach([event], caps))[0] as AppendResult,
    appendEach,
    async list(recipientId, afterSeq, limit, now) {
      const rows = await db.query<Row>(
        `SELECT ${COLUMNS} FROM user_queue_events
         WHERE recipient_id = $1 AND seq > $2 AND (expires_at IS NULL OR expires_at > $4)
         ORDER BY seq LIMIT $3`,
        [recipientId, afterSeq, limit, now],
      );
      return rows.map(toQueuedEvent);
    },
    ack: (recipientId, eventId) => anyRow(db, 'DELETE FROM user_queue_events WHERE recipient_id = $1 AND event_id = $2 RETURNING 1', [recipientId, eventId]),
    async nonEmpty(recipientIds, now) {
      const rows = await db.query<{ recipient_id: string }>(
        'SELECT DISTINCT recipient_id FROM user_queue_events WHERE recipient_id = ANY($1::text[]) AND (expires_at IS NULL OR expires_at > $2)',
        [recipientIds, now],
      );
      return rows.map((r) => r.recipient_id);
    },
    purgeExpired: (now) =>
      countOf(db, 'WITH gone AS (DELETE FROM user_queue_events WHERE expires_at IS NOT NULL AND expires_at <= $1 RETURNING 1) SELECT count(*) AS n FROM gone', [
        now,
      ]),
    depth: () => countOf(db, 'SELECT count(*) AS n FROM user_queue_events'),
  };
}
