import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobStore } from '../features/attachments/index.js';
import { assertBlobId } from './blob-id.js';

/** Attachment files under <dir>/<first two hex>/<id>.bin, written atomically (temp file + rename). */
export function createFileBlobStore(dir: string): BlobStore {
  const pathFor = (id: string) => {
    assertBlobId(id);
    return join(dir, id.slice(0, 2), `${id}.bin`);
  };
  const exists = async (path: string) =>
    stat(path).then(
      () => true,
      () => false,
    );
  return {
    async put(id, bytes) {
      const path = pathFor(id);
      if (await exists(path)) return;
      await mkdir(join(dir, id.slice(0, 2)), { recursive: true });
      const temp = `${path}.${randomUUID()}.tmp`;
      await writeFile(temp, bytes, { mode: 0o600 });
      await rename(temp, path);
    },
    async get(id) {
      try {
        return await readFile(pathFor(id));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
    async delete(id) {
      await rm(pathFor(id), { force: true });
    },
    async pathOf(id) {
      const path = pathFor(id);
      return (await exists(path)) ? path : undefined;
    },
  };
}
