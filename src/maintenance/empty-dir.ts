import { mkdirSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { StartupError } from '../app/startup-error.js';

/** True when `dir` does not exist or holds nothing. */
export function isEmptyDir(dir: string): boolean {
  try {
    return readdirSync(dir).length === 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
}

/** Creates `dir` (mode 0700: it will hold secrets), refusing one that already holds something. */
export function createEmptyDir(dir: string, refusal: string): void {
  if (!isEmptyDir(dir)) throw new StartupError(`${resolve(dir)} is not empty: ${refusal}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}
