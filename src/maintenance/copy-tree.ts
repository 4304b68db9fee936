import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';

const isGone = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * Copies a file store while the server may be writing to it: half-written temporary files
 * (`*.tmp`, renamed into place when complete) are left out, and a file removed meanwhile (expired,
 * or already downloaded) is skipped. Returns the number of files copied; a missing `from` is none.
 */
export async function copyTree(from: string, to: string): Promise<number> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(from, { withFileTypes: true });
  } catch (err) {
    if (isGone(err)) return 0;
    throw err;
  }
  await mkdir(to, { recursive: true, mode: 0o700 });
  let copied = 0;
  for (const entry of entries) {
    const source = join(from, entry.name);
    if (entry.isDirectory()) copied += await copyTree(source, join(to, entry.name));
    else if (entry.isFile() && !entry.name.endsWith('.tmp')) {
      try {
        await copyFile(source, join(to, entry.name));
        copied++;
      } catch (err) {
        if (!isGone(err)) throw err;
      }
    }
  }
  return copied;
}
