import type { BlobStore } from '../../features/attachments/index.js';
import { assertBlobId } from '../blob-id.js';
import type { BlobSpool } from './blob-spool.js';
import type { PgDatabase } from './pg-database.js';

/** Small enough that no statement carries a whole attachment, large enough that a 10 MB file is 40 rows. */
const CHUNK_BYTES = 256 * 1024;

/**
 * Attachment bytes in PostgreSQL, so every node serves every file. `bucket` keeps direct-message
 * attachments and group files apart (neither cleanup may remove the other's); `spool` gives
 * pathOf a local file to stream from.
 */
export function createPgBlobStore(db: PgDatabase, bucket: string, spool: BlobSpool): BlobStore {
  const sizeOf = async (id: string): Promise<number | undefined> => {
    const [row] = await db.query<{ size: number }>('SELECT size FROM blobs WHERE bucket = $1 AND id = $2', [bucket, id]);
    return row?.size;
  };

  // One chunk per statement, so reading a file never holds more than one chunk in memory.
  async function* chunksOf(id: string): AsyncIterable<Buffer> {
    for (let seq = 0; ; seq += 1) {
      const [row] = await db.query<{ data: Buffer }>('SELECT data FROM blob_chunks WHERE bucket = $1 AND id = $2 AND seq = $3', [bucket, id, seq]);
      if (row === undefined) return;
      yield row.data;
    }
  }

  return {
    async put(id, bytes) {
      assertBlobId(id);
      await db.transaction(async (tx) => {
        // A concurrent put of the same id waits here for the first to commit, then finds it present.
        const created = await tx.query('INSERT INTO blobs (bucket, id, size) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING id', [
          bucket,
          id,
          bytes.length,
        ]);
        if (created.length === 0) return; // same id, same bytes: already stored
        for (let seq = 0; seq * CHUNK_BYTES < bytes.length; seq += 1) {
          const chunk = bytes.subarray(seq * CHUNK_BYTES, (seq + 1) * CHUNK_BYTES);
          await tx.query('INSERT INTO blob_chunks (bucket, id, seq, data) VALUES ($1, $2, $3, $4)', [bucket, id, seq, chunk]);
        }
      });
    },
    async get(id) {
      assertBlobId(id);
      // One statement, one snapshot: all chunks of a complete blob, or no row at all.
      const rows = await db.query<{ data: Buffer | null }>(
        `SELECT c.data FROM blobs b LEFT JOIN blob_chunks c ON c.bucket = b.bucket AND c.id = b.id
         WHERE b.bucket = $1 AND b.id = $2 ORDER BY c.seq`,
        [bucket, id],
      );
      if (rows.length === 0) return undefined;
      return Buffer.concat(rows.flatMap((r) => (r.data === null ? [] : [r.data])));
    },
    async delete(id) {
      assertBlobId(id);
      await db.query('DELETE FROM blobs WHERE bucket = $1 AND id = $2', [bucket, id]);
      await spool.discard(id);
    },
    async pathOf(id) {
      assertBlobId(id);
      const size = await sizeOf(id);
      if (size === undefined) {
        await spool.discard(id);
        return undefined;
      }
      return spool.pathOf(id, size, () => chunksOf(id));
    },
  };
}
