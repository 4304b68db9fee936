import {
  type AppendResult,
  type FullQueue,
  type NewEvent,
  type QueueCaps,
  type QueuedEvent,
  storedOrigin,
  type UserQueueStore,
} from '../../features/queues/index.js';
import { requireDistinctRecipients, toQueuedEvent, USER_QUEUE_COLUMNS as COLUMNS, type UserQueueRow as Row } from '../user-queue-row.js';
import { countOf, type PgDatabase, prepared } from './pg-database.js';
import { PgTurnBatcher } from './pg-turn-batcher.js';

/** One append or appendEach waiting for its batch. */
interface AppendCall {
  events: readonly NewEvent[];
  caps: QueueCaps;
}

/** A result row of user_queue_append_batch (migration 9): the number of a queued event, all the stored fields of a duplicate. */
interface AppendRow {
  outcome: 'queued' | 'duplicate' | FullQueue;
  result_seq: number | null;
  result_body: string | null;
  result_created_at: number | null;
  result_expires_at: number | null;
}

const APPEND_BATCH = prepared(
  'user_queue_append_batch',
  `SELECT outcome, result_seq, result_body, result_created_at, result_expires_at FROM user_queue_append_batch(
  $1::text[], $2::text[], $3::text[], $4::int[], $5::float8[], $6::float8[], $7::text[], $8::text[], $9::bigint[], $10::bigint[], $11::bigint[])`,
);

interface ListCall {
  recipientId: string;
  afterSeq: number;
  limit: number;
  now: number;
}

interface AckCall {
  recipientId: string;
  eventId: string;
}

/** Each call's page (unexpired events after its seq, in seq order, at most its limit), tagged with the call's place (1-based). */
const LIST_BATCH = prepared(
  'user_queue_list_batch',
  `SELECT l.call, e.* FROM unnest($1::text[], $2::bigint[], $3::int[], $4::float8[]) WITH ORDINALITY AS l (recipient_id, after_seq, max_rows, now_, call)
  CROSS JOIN LATERAL (SELECT ${COLUMNS} FROM user_queue_events AS q
    WHERE q.recipient_id = l.recipient_id AND q.seq > l.after_seq AND (q.expires_at IS NULL OR q.expires_at > l.now_)
    ORDER BY q.seq LIMIT l.max_rows) AS e
  ORDER BY l.call, e.seq`,
);

/** user_queue_ack_batch (schema 10): the places (1-based) of the calls whose event was removed; an event named twice in a batch is removed by, and answered to, the first. */
const ACK_BATCH = prepared('user_queue_ack_batch', 'SELECT call FROM user_queue_ack_batch($1::text[], $2::text[]) AS call');

/** The events of one batch as the function's parameters, one array per column, each with the caps of its call. */
function appendParams(calls: readonly AppendCall[]): unknown[] {
  const rows = calls.flatMap((call) => call.events.map((event) => ({ event, caps: call.caps, origin: storedOrigin(event.origin) })));
  // Each distinct body is sent once (the copies of a group event share one): a statement carries
  // one payload, not one per member, whatever the size of the group.
  const bodies = [...new Set(rows.map((r) => r.event.body))];
  const bodyAt = new Map(bodies.map((body, i) => [body, i + 1]));
  // An event the server raises itself has no share to keep: null caps pass every share check.
  const shareCap = (r: (typeof rows)[number], cap: number) => (r.event.origin === null ? null : cap);
  return [
    rows.map((r) => r.event.recipientId),
    rows.map((r) => r.event.eventId),
    bodies,
    rows.map((r) => bodyAt.get(r.event.body)),
    rows.map((r) => r.event.createdAt),
    rows.map((r) => r.event.expiresAt),
    rows.map((r) => r.origin.sender),
    rows.map((r) => r.origin.address),
    rows.map((r) => r.caps.total),
    rows.map((r) => shareCap(r, r.caps.perSender)),
    rows.map((r) => shareCap(r, r.caps.perAddress)),
  ];
}

function appendResult(row: AppendRow, { origin: _o, ...event }: NewEvent): AppendResult {
  if (row.outcome === 'queued') return { status: 'queued', event: { ...event, seq: row.result_seq as number } };
  if (row.outcome !== 'duplicate') return { status: 'full', cap: row.outcome };
  const stored: Row = {
    recipient_id: event.recipientId,
    event_id: event.eventId,
    seq: row.result_seq as number,
    body: row.result_body as string,
    created_at: row.result_created_at as number,
    expires_at: row.result_expires_at,
  };
  return { status: 'duplicate', event: toQueuedEvent(stored) };
}

/**
 * Durable per-user queues on PostgreSQL, safe with any number of nodes on one database. The appends
 * of one event-loop turn go to the database as one statement (user_queue_append_batch, one round
 * trip, atomic on its own), which serializes per recipient with a lock on its counter row, so the
 * duplicate check, the caps and the next sequence number hold across processes; the counter row
 * outlives the events, so a recipient's sequence only grows, without gaps (a refused or failed
 * append takes no number). A group event's copies are one call of the batch, however many members;
 * reads and acknowledgements are batched the same way.
 */
export function createPgUserQueueStore(db: PgDatabase): UserQueueStore {
  const appends = new PgTurnBatcher<AppendCall, AppendResult[]>(async (calls) => {
    const rows = await db.query<AppendRow>(APPEND_BATCH, appendParams(calls));
    let next = 0;
    return calls.map((call) =>
      call.events.map((event) => {
        const row = rows[next++];
        if (row === undefined) throw new Error(`user_queue_append_batch answered ${rows.length} rows`);
        return appendResult(row, event);
      }),
    );
  });

  // Each socket reads its queue when woken and removes what its client acknowledges: the reads and
  // the removals of one turn (a group event's copies reach every member's socket at once) are one
  // statement each.
  const lists = new PgTurnBatcher<ListCall, QueuedEvent[]>(async (calls) => {
    const rows = await db.query<Row & { call: number }>(LIST_BATCH, [
      calls.map((c) => c.recipientId),
      calls.map((c) => c.afterSeq),
      calls.map((c) => c.limit),
      calls.map((c) => c.now),
    ]);
    const pages = calls.map((): QueuedEvent[] => []);
    for (const row of rows) pages[row.call - 1]?.push(toQueuedEvent(row));
    return pages;
  });
  const acks = new PgTurnBatcher<AckCall, boolean>(async (calls) => {
    const removed = await db.query<{ call: number }>(ACK_BATCH, [calls.map((c) => c.recipientId), calls.map((c) => c.eventId)]);
    const answered = new Set(removed.map((r) => r.call));
    return calls.map((_, i) => answered.has(i + 1));
  });

  const appendEach = async (events: readonly NewEvent[], caps: QueueCaps): Promise<AppendResult[]> => {
    requireDistinctRecipients(events);
    return events.length === 0 ? [] : appends.run({ events, caps });
  };

  return {
    append: async (event, caps) => (await appendEach([event], caps))[0] as AppendResult,
    appendEach,
    list: (recipientId, afterSeq, limit, now) => lists.run({ recipientId, afterSeq, limit, now }),
    ack: (recipientId, eventId) => acks.run({ recipientId, eventId }),
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
