import type { AttachmentGrant, AttachmentStore } from '../../features/attachments/index.js';
import type { PgDatabase } from './pg-database.js';

const COLUMNS = 'att_id, recipient, sender, enc_pub, name, size, created_at, expires_at';

export function createPgAttachmentStore(db: PgDatabase): AttachmentStore {
  return {
    async grant(g) {
      await db.query(
        `INSERT INTO attachments (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (att_id, recipient) DO UPDATE SET sender = excluded.sender, enc_pub = excluded.enc_pub,
           name = excluded.name, size = excluded.size, created_at = excluded.created_at, expires_at = excluded.expires_at`,
        [g.att_id, g.recipient, g.sender, g.enc_pub, g.name, g.size, g.created_at, g.expires_at],
      );
    },
    async find(attId, recipient, now) {
      const [row] = await db.query<AttachmentGrant>(
        `SELECT ${COLUMNS} FROM attachments WHERE att_id = $1 AND recipient = $2 AND (expires_at IS NULL OR expires_at > $3)`,
        [attId, recipient, now],
      );
      return row;
    },
    async purgeExpired(now) {
      // The outer query sees the table as it was before the DELETE (one snapshot), so "still granted"
      // must itself exclude the rows being deleted.
      const rows = await db.query<{ att_id: string }>(
        `WITH gone AS (DELETE FROM attachments WHERE expires_at IS NOT NULL AND expires_at <= $1 RETURNING att_id)
         SELECT DISTINCT att_id FROM gone WHERE NOT EXISTS (
           SELECT 1 FROM attachments a WHERE a.att_id = gone.att_id AND (a.expires_at IS NULL OR a.expires_at > $1))`,
        [now],
      );
      return rows.map((r) => r.att_id);
    },
    async isGranted(attId) {
      const [row] = await db.query<{ granted: boolean }>('SELECT EXISTS (SELECT 1 FROM attachments WHERE att_id = $1) AS granted', [attId]);
      return row?.granted ?? false;
    },
    async count() {
      const [row] = await db.query<{ n: number }>('SELECT count(DISTINCT att_id) AS n FROM attachments');
      return row?.n ?? 0;
    },
    async senderBytes(sender) {
      const [row] = await db.query<{ bytes: number }>('SELECT bytes FROM attachment_sender_usage WHERE sender = $1', [sender]);
      return row?.bytes ?? 0;
    },
  };
}
