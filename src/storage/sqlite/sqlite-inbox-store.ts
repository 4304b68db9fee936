import type { EnqueueResult, InboxStore, NewMessage, QueuedMessage } from '../../features/relay/inbox-store.js';
import type { SqliteDatabase } from './sqlite-database.js';

interface Row {
  id: number;
  recipient: string;
  sender: string;
  enc_pub: string;
  message: string;
  signature: string;
  timestamp: number;
}

const COLUMNS = 'id, recipient, sender, enc_pub, message, signature, timestamp';
const AVAILABLE = '(lease_until IS NULL OR lease_until <= @now) AND (expires_at IS NULL OR expires_at > @now)';

const toMessage = (r: Row): QueuedMessage => ({
  id: r.id,
  recipient: r.recipient,
  from: r.sender,
  enc_pub: r.enc_pub,
  message: r.message,
  signature: r.signature,
  timestamp: r.timestamp,
});

const oldestFirst = (rows: Row[]): QueuedMessage[] => rows.sort((a, b) => a.id - b.id).map(toMessage);

export function createSqliteInboxStore(db: SqliteDatabase): InboxStore {
  const findReceipt = db.prepare<[string, number], { message_id: number; timestamp: number }>(
    'SELECT message_id, timestamp FROM send_receipts WHERE replay_key = ? AND expires_at > ?',
  );
  const countQueued = db.prepare<{ recipient: string; now: number }, { n: number }>(
    'SELECT count(*) AS n FROM inbox_messages WHERE recipient = @recipient AND (expires_at IS NULL OR expires_at > @now)',
  );
  const insertMessage = db.prepare(
    `INSERT INTO inbox_messages (recipient, sender, enc_pub, message, signature, timestamp, expires_at)
     VALUES (@recipient, @from, @enc_pub, @message, @signature, @timestamp, @expiresAt)`,
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

  const enqueueTx = db.transaction((m: NewMessage, maxQueued: number, now: number): EnqueueResult => {
    const receipt = findReceipt.get(m.replayKey, now);
    if (receipt !== undefined) return { status: 'duplicate', id: receipt.message_id, timestamp: receipt.timestamp };
    if ((countQueued.get({ recipient: m.recipient, now })?.n ?? 0) >= maxQueued) return { status: 'full' };
    const id = Number(insertMessage.run(m).lastInsertRowid);
    upsertReceipt.run(m.replayKey, id, m.timestamp, m.replayExpiresAt);
    const { replayKey: _r, expiresAt: _e, replayExpiresAt: _x, ...wire } = m;
    return { status: 'queued', message: { id, ...wire } };
  });
  const leaseTx = db.transaction((recipient: string, ids: readonly number[], until: number, now: number) =>
    ids.flatMap((id) => leaseOne.all({ id, recipient, until, now })),
  );
  const removeTx = db.transaction((ids: readonly number[]) => ids.forEach((id) => deleteOne.run(id)));
  const releaseTx = db.transaction((ids: readonly number[]) => ids.forEach((id) => releaseOne.run(id)));
  const purgeTx = db.transaction((now: number) => {
    purgeReceipts.run(now);
    return purgeMessages.run(now).changes;
  });

  return {
    async enqueue(message, maxQueued, now) {
      return enqueueTx(message, maxQueued, now);
    },
    async drain(recipient, since, limit, now) {
      return oldestFirst(drainRows.all({ recipient, since, limit, now }));
    },
    async lease(recipient, ids, leaseUntil, now) {
      const rows = ids === 'all' ? leaseAll.all({ recipient, until: leaseUntil, now }) : leaseTx(recipient, ids, leaseUntil, now);
      return oldestFirst(rows);
    },
    async remove(ids) {
      removeTx(ids);
    },
    async release(ids) {
      releaseTx(ids);
    },
    async releaseAll() {
      releaseEvery.run();
    },
    async purgeExpired(now) {
      return purgeTx(now);
    },
    async depth(recipient, now) {
      return countQueued.get({ recipient, now })?.n ?? 0;
    },
    async totalQueued() {
      return countAll.get()?.n ?? 0;
    },
  };
}
