import { capReached, type QueueCaps, type QueueCounts } from '../../features/queues/index.js';
import { type EnqueueResult, type InboxStore, type NewMessage, queuedMessage } from '../../features/relay/index.js';
import { oldestFirst, type InboxRow as Row } from '../inbox-row.js';
import { LockSpace, lockUntilCommit } from './advisory-locks.js';
import type { PgDatabase, PgQueryable } from './pg-database.js';

const COLUMNS = 'id, recipient, sender, enc_pub, message, signature, "timestamp"';
/** Unleased and unexpired at the time in the statement parameter `now` (e.g. '$4'). */
const available = (now: string) => `(lease_until IS NULL OR lease_until <= ${now}) AND (expires_at IS NULL OR expires_at > ${now})`;

/**
 * The inbox on PostgreSQL, safe with any number of nodes on one database. Enqueue serializes per
 * recipient and per replay key with advisory locks, so the cap and the replay check hold across
 * processes; lease and drain claim rows with FOR UPDATE SKIP LOCKED, so no row is handed out twice.
 */
export function createPgInboxStore(db: PgDatabase): InboxStore {
  const enqueueLocked = async (tx: PgQueryable, m: NewMessage, caps: QueueCaps, now: number): Promise<EnqueueResult> => {
    // Always recipient first, then replay key: one order for every transaction, so no deadlock.
    await lockUntilCommit(tx, LockSpace.recipient, m.recipient);
    await lockUntilCommit(tx, LockSpace.replayKey, m.replayKey);
    const [receipt] = await tx.query<{ message_id: number; timestamp: number }>(
      'SELECT message_id, "timestamp" FROM send_receipts WHERE replay_key = $1 AND expires_at > $2',
      [m.replayKey, now],
    );
    if (receipt !== undefined) return { status: 'duplicate', id: receipt.message_id, timestamp: receipt.timestamp };
    // Expired and leased rows count until they are gone, as in the embedded store; one statement, three index-only counts.
    const [counts] = await tx.query<QueueCounts>(
      `SELECT (SELECT count(*) FROM inbox_messages WHERE recipient = $1) AS total,
         (SELECT count(*) FROM inbox_messages WHERE recipient = $1 AND sender = $2) AS sender,
         (SELECT count(*) FROM inbox_messages WHERE recipient = $1 AND sender_address = $3) AS address`,
      [m.recipient, m.from, m.fromAddress],
    );
    const cap = capReached(counts as QueueCounts, caps, { sender: m.from, address: m.fromAddress });
    if (cap !== undefined) return { status: 'full', cap };
    const [inserted] = await tx.query<{ id: number }>(
      `INSERT INTO inbox_messages (recipient, sender, sender_address, enc_pub, message, signature, "timestamp", expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
      [m.recipient, m.from, m.fromAddress, m.enc_pub, m.message, m.signature, m.timestamp, m.expiresAt],
    );
    const id = inserted!.id; // INSERT ... RETURNING yields exactly one row
    await tx.query(
      `INSERT INTO send_receipts (replay_key, message_id, "timestamp", expires_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (replay_key) DO UPDATE SET message_id = excluded.message_id, "timestamp" = excluded."timestamp", expires_at = excluded.expires_at`,
      [m.replayKey, id, m.timestamp, m.replayExpiresAt],
    );
    return { status: 'queued', message: queuedMessage(id, m) };
  };

  return {
    enqueue: (message, caps, now) => db.transaction((tx) => enqueueLocked(tx, message, caps, now)),
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
      const rows = await db.query<Row>(
        `UPDATE inbox_messages SET lease_until = $2 WHERE id IN (
           SELECT id FROM inbox_messages WHERE recipient = $1 AND ($4::bigint[] IS NULL OR id = ANY ($4)) AND ${available('$3')}
           FOR UPDATE SKIP LOCKED)
         RETURNING ${COLUMNS}`,
        [recipient, leaseUntil, now, ids === 'all' ? null : ids],
      );
      return oldestFirst(rows);
    },
    async remove(ids) {
      await db.query('DELETE FROM inbox_messages WHERE id = ANY ($1::bigint[])', [ids]);
    },
    async release(ids) {
      await db.query('UPDATE inbox_messages SET lease_until = NULL WHERE id = ANY ($1::bigint[])', [ids]);
    },
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
      // One statement: both deletes run (a data-modifying WITH always does), only the count travels back.
      const [row] = await db.query<{ n: number }>(
        `WITH receipts AS (DELETE FROM send_receipts WHERE expires_at <= $1),
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
