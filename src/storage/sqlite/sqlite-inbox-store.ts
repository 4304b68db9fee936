import { capReached, type QueueCaps, type ShareCounts } from '../../features/queues/index.js';
import { type EnqueueResult, type InboxStore, type NewMessage, queuedMessage } from '../../features/relay/index.js';
import { oldestFirst, type InboxRow as Row } from '../inbox-row.js';
import type { SqliteDatabase } from './sqlite-database.js';
import type { SqliteWriteBatcher } from './write-batcher.js';

const COLUMNS = 'id, recipient, sender, enc_pub, message, signature, timestamp';
const AVAILABLE = '(lease_until IS NULL OR lease_until <= @now) AND (expires_at IS NULL OR expires_at > @now)';

export function createSqliteInboxStore(db: SqliteDatabase, writes: SqliteWriteBatcher): InboxStore {
  const findReceipt = db.prepare<[string, number], { message_id: number; timestamp: number }>(
    'SELECT message_id, timestamp FROM send_receipts WHERE replay_key = ? AND expires_at > ?',
  );
  // Index-only counts: expired rows still count until the next cleanup sweep removes them.
  const countQueued = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM inbox_messages WHERE recipient = ?');
  const countShares = db.prepare<{ recipient: string; from: string; fromAddress: string }, ShareCounts>(
    `SELECT (SELECT count(*) FROM inbox_messages WHERE recipient = @recipient AND sender = @from) AS sender,
       (SELECT count(*) FROM inbox_messages WHERE recipient = @recipient AND sender_address = @fromAddress) AS address`,
  );
  const insertMessage = db.prepare(
    `INSERT INTO inbox_messages (recipient, sender, sender_address, enc_pub, message, signature, timestamp, expires_at)
     VALUES (@recipient, @from, @fromAddress, @enc_pub, @message, @signature, @timestamp, @expiresAt)`,
  );
  const upsertReceipt = db.prepare(
    `INSERT INTO send_receipts (replay_key, message_id, timestamp, expires_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (replay_key) DO UPDATE SET message_id = excluded.message_id, timestamp = excluded.timestamp, expires_at = excluded.expires_at`,
  );
  const drainRows = db.prepare<{ recipient: string; since: number; limit: number; now: number }, Row>(
    `DELETE FROM inbox_messages WHERE id IN (
       SELECT id FROM inbox_messages WHERE recipient = @recipient AND timestamp > @since AND ${AVAILABLE}
       ORDER BY id LIMIT @limit)
     RETURNING ${COLUMNS}`,
  );
  const leaseAll = db.prepare<{ recipient: string; until: number; now: number }, Row>(
    `UPDATE inbox_messages SET lease_until = @until WHERE recipient = @recipient AND ${AVAILABLE} RETURNING ${COLUMNS}`,
  );
  const leaseOne = db.prepare<{ id: number; recipient: string; until: number; now: number }, Row>(
    `UPDATE inbox_messages SET lease_until = @until WHERE id = @id AND recipient = @recipient AND ${AVAILABLE} RETURNING ${COLUMNS}`,
  );
  const deleteOne = db.prepare('DELETE FROM inbox_messages WHERE id = ?');
  const releaseOne = db.prepare('UPDATE inbox_messages SET lease_until = NULL WHERE id = ?');
  const releaseEvery = db.prepare('UPDATE inbox_messages SET lease_until = NULL WHERE lease_until IS NOT NULL');
  const purgeMessages = db.prepare('DELETE FROM inbox_messages WHERE expires_at IS NOT NULL AND expires_at <= ?');
  const purgeReceipts = db.prepare('DELETE FROM send_receipts WHERE expires_at <= ?');
  const countAll = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM inbox_messages');
  const waitingAmong = db.prepare<{ recipients: string; now: number }, { recipient: string }>(
    `SELECT DISTINCT recipient FROM inbox_messages WHERE recipient IN (SELECT value FROM json_each(@recipients)) AND ${AVAILABLE}`,
  );

  const enqueueOne = (m: NewMessage, caps: QueueCaps, now: number): EnqueueResult => {
    const receipt = findReceipt.get(m.replayKey, now);
    if (receipt !== undefined) return { status: 'duplicate', id: receipt.message_id, timestamp: receipt.timestamp };
    const total = (countQueued.get(m.recipient) as { n: number }).n;
    const cap = capReached(total, () => countShares.get(m) as ShareCounts, caps, { sender: m.from, address: m.fromAddress });
    if (cap !== undefined) return { status: 'full', cap };
    const id = Number(insertMessage.run(m).lastInsertRowid);
    upsertReceipt.run(m.replayKey, id, m.timestamp, m.replayExpiresAt);
    return { status: 'queued', message: queuedMessage(id, m) };
  };

  return {
    enqueue: (message, caps, now) => writes.run(() => enqueueOne(message, caps, now)),
    drain: (recipient, since, limit, now) => writes.run(() => oldestFirst(drainRows.all({ recipient, since, limit, now }))),
    lease: (recipient, ids, until, now) =>
      writes.run(() => oldestFirst(ids === 'all' ? leaseAll.all({ recipient, until, now }) : ids.flatMap((id) => leaseOne.all({ id, recipient, until, now })))),
    remove: (ids) =>
      writes.run(() =>
        ids.forEach((id) => {
          deleteOne.run(id);
        }),
      ),
    release: (ids) =>
      writes.run(() =>
        ids.forEach((id) => {
          releaseOne.run(id);
        }),
      ),
    releaseAll: () => writes.run(() => void releaseEvery.run()),
    waiting: async (recipients, now) => waitingAmong.all({ recipients: JSON.stringify(recipients), now }).map((r) => r.recipient),
    purgeExpired: (now) =>
      writes.run(() => {
        purgeReceipts.run(now);
        return purgeMessages.run(now).changes;
      }),
    async totalQueued() {
      return countAll.get()?.n ?? 0;
    },
  };
}
