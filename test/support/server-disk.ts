import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Every byte the server keeps on disk: the SQLite database, its WAL and the attachment files (to show what it never stored). */
export function serverDisk(dataDir: string): Buffer {
  const files = readdirSync(dataDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  return Buffer.concat(files.map((e) => readFileSync(join(e.parentPath, e.name))));
}
