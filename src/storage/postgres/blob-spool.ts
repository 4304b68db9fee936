import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Node-local copies of database blobs, because the BlobStore port hands out a file path to stream
 * from. Ids are content hashes, so a spooled file never goes stale; files not asked for within
 * `keepMs` are removed, so the directory holds only what was served recently.
 */
export interface BlobSpool {
  /**
   * The spooled file of `id`, written from `chunks` first if needed. Undefined when the chunks do not
   * add up to `size` (the blob was deleted while being read).
   */
  pathOf(id: string, size: number, chunks: () => AsyncIterable<Buffer>): Promise<string | undefined>;
  discard(id: string): Promise<void>;
}

export function createBlobSpool(dir: string, keepMs = 10 * 60_000): BlobSpool {
  let lastSweep = Date.now();
  const pathFor = (id: string) => join(dir, `${id}.bin`);

  // An open read stream keeps its file readable after the unlink, so a sweep never cuts a download.
  const sweep = async () => {
    const cutoff = Date.now() - keepMs;
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const path = join(dir, name);
      const info = await stat(path).catch(() => undefined);
      if (info !== undefined && info.mtimeMs < cutoff) await rm(path, { force: true });
    }
  };

  const spool = async (path: string, size: number, chunks: () => AsyncIterable<Buffer>): Promise<boolean> => {
    await mkdir(dir, { recursive: true });
    const temp = `${path}.${randomUUID()}.tmp`;
    try {
      await pipeline(Readable.from(chunks()), createWriteStream(temp, { mode: 0o600 }));
      if ((await stat(temp)).size !== size) return false;
      await rename(temp, path);
      return true;
    } finally {
      await rm(temp, { force: true }); // a partial file; nothing after the rename
    }
  };

  return {
    async pathOf(id, size, chunks) {
      if (Date.now() - lastSweep > keepMs / 2) {
        lastSweep = Date.now();
        await sweep();
      }
      const path = pathFor(id);
      const now = new Date();
      // Touching the file keeps it out of the next sweep while it is being served.
      const spooled = await utimes(path, now, now).then(
        () => true,
        () => false,
      );
      return spooled || (await spool(path, size, chunks)) ? path : undefined;
    },
    async discard(id) {
      await rm(pathFor(id), { force: true });
    },
  };
}
