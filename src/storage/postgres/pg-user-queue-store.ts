import type { AppendResult, FullQueue, NewEvent, QueueCaps, UserQueueStore } from '../../features/queues/index.js';
import { requireDistinctRecipients, toQueuedEvent, USER_QUEUE_COLUMNS as COLUMNS, type UserQueueRow as Row } from '../user-queue-row.js';
import { anyRow, countOf, type PgDatabase } from './pg-database.js';
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

const APPEND_BATCH = `SELECT outcome, result_seq, result_body, result_created_at, result_expires_at FROM user_queue_append_batch(
  $1::text[], $2::text[], $3::text[], $4::int[], $5::float8[], $6::float8[], $7::text[], $8::text[], $9::bigint[], $10::bigint[], $11::bigint[])`;

/** The events of one batch as the function's parameters, one array per column, each with the caps of its call. */
function appendParams(calls: readonly AppendCall[]): unknown[] {
  const rows = calls.flatMap((call) => call.events.map((event) => ({ event, caps: call.caps })));
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
    rows.map((r) => r.event.origin?.sender ?? ''),
    rows.map((r) => r.event.origin?.address ?? ''),
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
 * append takes no number). A group event's copies are one call of the batch, however many members.
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

  const appendEach = async (events: readonly NewEvent[], caps: QueueCaps): Promise<AppendResult[]> => {
    requireDistinctRecipients(events);
    return events.length === 0 ? [] : appends.run({ events, caps });
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
