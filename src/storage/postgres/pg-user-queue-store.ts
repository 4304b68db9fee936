import type { AppendResult, NewEvent, UserQueueStore } from '../../features/queues/user-queue-store.js';
import { toQueuedEvent, USER_QUEUE_COLUMNS as COLUMNS, type UserQueueRow as Row } from '../user-queue-row.js';
import { LockSpace, lockUntilCommit } from './advisory-locks.js';
import { anyRow, countOf, type PgDatabase, type PgQueryable } from './pg-database.js';

/**
 * Durable per-user queues on PostgreSQL, safe with any number of nodes on one database. Append holds
 * an advisory lock on the recipient for its whole transaction, so the duplicate check, the cap and
 * the next sequence number are decided by one node at a time; the counter row outlives the events,
 * so a recipient's sequence only grows, without gaps (a refused or failed append takes no number).
 */
export function createPgUserQueueStore(db: PgDatabase): UserQueueStore {
  const appendLocked = async (tx: PgQueryable, event: NewEvent, maxQueued: number): Promise<AppendResult> => {
    await lockUntilCommit(tx, LockSpace.userQueue, event.recipientId);
    // Expired but unpurged events still answer their id, and still count towards the cap.
    const [known] = await tx.query<Row>(`SELECT ${COLUMNS} FROM user_queue_events WHERE recipient_id = $1 AND event_id = $2`, [
      event.recipientId,
      event.eventId,
    ]);
    if (known !== undefined) return { status: 'duplicate', event: toQueuedEvent(known) };
    if ((await countOf(tx, 'SELECT count(*) AS n FROM user_queue_events WHERE recipient_id = $1', [event.recipientId])) >= maxQueued) return { status: 'full' };
    const [counter] = await tx.query<{ last_seq: number }>(
      `INSERT INTO user_queue_counters (recipient_id, last_seq) VALUES ($1, 1)
       ON CONFLICT (recipient_id) DO UPDATE SET last_seq = user_queue_counters.last_seq + 1 RETURNING last_seq`,
      [event.recipientId],
    );
    const stored = { ...event, seq: counter!.last_seq }; // INSERT ... RETURNING yields exactly one row
    await tx.query(`INSERT INTO user_queue_events (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)`, [
      stored.recipientId,
      stored.seq,
      stored.eventId,
      stored.body,
      stored.createdAt,
      stored.expiresAt,
    ]);
    return { status: 'queued', event: stored };
  };

  return {
    append: (event, maxQueued) => db.transaction((tx) => appendLocked(tx, event, maxQueued)),
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
      countOf(
        db,
        'WITH gone AS (DELETE FROM user_queue_events WHERE expires_at IS NOT NULL AND expires_at <= $1 RETURNING 1) SELECT count(*) AS n FROM gone',
        [now],
      ),
    depth: () => countOf(db, 'SELECT count(*) AS n FROM user_queue_events'),
  };
}
