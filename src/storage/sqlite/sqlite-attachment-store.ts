import type { AttachmentGrant, AttachmentStore } from '../../features/attachments/index.js';
import type { SqliteDatabase } from './sqlite-database.js';
import type { SqliteWriteBatcher } from './write-batcher.js';

export function createSqliteAttachmentStore(db: SqliteDatabase, writes: SqliteWriteBatcher): AttachmentStore {
  const upsert = db.prepare(
    `INSERT INTO attachments (att_id, recipient, sender, enc_pub, name, size, created_at, expires_at)
     VALUES (@att_id, @recipient, @sender, @enc_pub, @name, @size, @created_at, @expires_at)
     ON CONFLICT (att_id, recipient) DO UPDATE SET sender = excluded.sender, enc_pub = excluded.enc_pub,
       name = excluded.name, size = excluded.size, created_at = excluded.created_at, expires_at = excluded.expires_at`,
  );
  const select = db.prepare<[string, string, number], AttachmentGrant>(
    'SELECT * FROM attachments WHERE att_id = ? AND recipient = ? AND (expires_at IS NULL OR expires_at > ?)',
  );
  const expired = db.prepare<[number], { att_id: string }>('DELETE FROM attachments WHERE expires_at IS NOT NULL AND expires_at <= ? RETURNING att_id');
  const stillGranted = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM attachments WHERE att_id = ?');
  const countAll = db.prepare<[], { n: number }>('SELECT count(DISTINCT att_id) AS n FROM attachments');
  const senderUsage = db.prepare<[string], { bytes: number }>('SELECT bytes FROM attachment_sender_usage WHERE sender = ?');
  const purge = (now: number) => {
    const ids = new Set(expired.all(now).map((r) => r.att_id));
    return [...ids].filter((id) => (stillGranted.get(id)?.n ?? 0) === 0);
  };
  return {
    grant: (grant) => writes.run(() => void upsert.run(grant)),
    async find(attId, recipient, now) {
      return select.get(attId, recipient, now);
    },
    purgeExpired: (now) => writes.run(() => purge(now)),
    async isGranted(attId) {
      return (stillGranted.get(attId)?.n ?? 0) > 0;
    },
    async count() {
      return countAll.get()?.n ?? 0;
    },
    async senderBytes(sender) {
      return senderUsage.get(sender)?.bytes ?? 0;
    },
  };
}
