import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `npm run build` writes the web client: dist/web at the package root (the same from src/ under tsx and from dist/). */
export const WEB_DIR = fileURLToPath(new URL('../../../dist/web/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

export interface WebFile {
  body: Buffer;
  type: string;
  /** Hashed names under assets/ never change content, so browsers may keep them a year. */
  immutable: boolean;
}

/**
 * Reads the built client once, by its path below /app/; undefined when the build output is missing.
 * Each `%NAME%` in index.html becomes `page[NAME]` (the server's settings the client needs).
 */
export function loadWebFiles(dir = WEB_DIR, page: Record<string, string> = {}): Map<string, WebFile> | undefined {
  if (!existsSync(join(dir, 'index.html'))) return undefined;
  try {
    const files = readWebFiles(dir);
    const index = files.get('index.html');
    if (index !== undefined) index.body = Buffer.from(index.body.toString('utf8').replace(/%([A-Z_]+)%/g, (text, name: string) => page[name] ?? text));
    return files;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // removed while read: a build was replacing it
    throw error;
  }
}

function readWebFiles(dir: string): Map<string, WebFile> {
  const files = new Map<string, WebFile>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const type = TYPES[extname(entry.name)];
    if (!entry.isFile() || type === undefined) continue;
    const path = relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/');
    files.set(path, { body: readFileSync(join(entry.parentPath, entry.name)), type, immutable: path.startsWith('assets/') });
  }
  return files;
}
