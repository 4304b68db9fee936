import {
  capReached,
  storedOrigin,
  type QueueCaps,
  type ShareCounts,
  type AppendResult,
  type NewEvent,
  type UserQueueStore,
} from '../../features/queues/index.js';
import { requireDistinctRecipients, toQueuedEvent as toEvent, USER_QUEUE_COLUMNS as COLUMNS, type UserQueueRow as Row } from '../user-queue-row.js';
import type { SqliteDatabase } from './sqlite-database.js';
import type { SqliteWriteBatcher } from './write-batcher.js';

export function createSqliteUserQueueStore(db: SqliteDatabase, writes: SqliteWriteBatcher): UserQueueStore {
  const findById = db.prepare<[string, string], Row>(`SELECT ${COLUMNS} FROM user_queue_events WHERE recipient_id = ? AND event_id = ?`);
  // Index-only counts: the queue, and (when it is deep enough) the shares of the event's sender and address.
  const countQueued = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM user_queue_events WHERE recipient_id = ?');
  const countShares = db.prepare<{ recipient: string; sender: string; address: string }, ShareCounts>(
    `SELECT (SELECT count(*) FROM user_queue_events WHERE recipient_id = @recipient AND sender = @sender) AS sender,
       (SELECT count(*) FROM user_queue_events WHERE recipient_id = @recipient AND sender_address = @address) AS address`,
  );
  // The counter outlives the events, so a sequence never restarts when a queue drains.
  const nextSeq = db.prepare<[string], { last_seq: number }>(
    `INSERT INTO user_queue_counters (recipient_id, last_seq) VALUES (?, 1)
     ON CONFLICT (recipient_id) DO UPDATE SET last_seq = last_seq + 1 RETURNING last_seq`,
  );
  const insert = db.prepare(
    `INSERT INTO user_queue_events (recipient_id, seq, event_id, body, created_at, expires_at, sender, sender_address)
     VALUES (@recipientId, @seq, @eventId, @body, @createdAt, @expiresAt, @sender, @address)`,
  );
  const listAfter = db.prepare<{ recipient: string; after: number; limit: number; now: number }, Row>(
    `SELECT ${COLUMNS} FROM user_queue_events
     WHERE recipient_id = @recipient AND seq > @after AND (expires_at IS NULL OR expires_at > @now)
     ORDER BY seq LIMIT @limit`,
  );
  const deleteById = db.prepare('DELETE FROM user_queue_events WHERE recipient_id = ? AND event_id = ?');
  const purge = db.prepare('DELETE FROM user_queue_events WHERE expires_at IS NOT NULL AND expires_at <= ?');
  const countAll = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM user_queue_events');
  const nonEmptyAmong = db.prepare<{ ids: string; now: number }, { recipient_id: string }>(
    `SELECT DISTINCT recipient_id FROM user_queue_events
     WHERE recipient_id IN (SELECT value FROM json_each(@ids)) AND (expires_at IS NULL OR expires_at > @now)`,
  );

  const appendOne = (event: NewEvent, caps: QueueCaps): AppendResult => {
    const known = findById.get(event.recipientId, event.eventId);
    if (known !== undefined) return { status: 'duplicate', event: toEvent(known) };
    const origin = storedOrigin(event.origin);
    const total = (countQueued.get(event.recipientId) as { n: number }).n;
    const cap = capReached(total, () => countShares.get({ recipient: event.recipientId, ...origin }) as ShareCounts, caps, event.origin);
    if (cap !== undefined) return { status: 'full', cap };
    const seq = (nextSeq.get(event.recipientId) as { last_seq: number }).last_seq;
    const { origin: _o, ...queued } = { ...event, seq };
    insert.run({ ...queued, ...origin });
    return { status: 'queued', event: queued };
  };

  return {
    append: (event, caps) => writes.run(() => appendOne(event, caps)),
    async appendEach(events, caps) {
      requireDistinctRecipients(events);
      return writes.run(() => events.map((event) => appendOne(event, caps)));
    },
    list: async (recipient, after, limit, now) => listAfter.all({ recipient, after, limit, now }).map(toEvent),
    ack: (recipient, eventId) => writes.run(() => deleteById.run(recipient, eventId).changes > 0),
    nonEmpty: async (ids, now) => nonEmptyAmong.all({ ids: JSON.stringify(ids), now }).map((r) => r.recipient_id),
    purgeExpired: (now) => writes.run(() => purge.run(now).changes),
    depth: async () => countAll.get()?.n ?? 0,
  };
}
