import { accessSync, constants, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { reasonOf, StartupError } from './startup-error.js';

/**
 * Creates the data directory if needed and checks it can be written, before any file in it is
 * opened: otherwise the first failure would be a raw error from wherever it happened to be written.
 */
export function prepareDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new StartupError(
      `data directory ${resolve(dir)} is not writable (${reasonOf(err)}): create it with write access for the user running whispr, or choose another with --data-dir (WHISPR_DATA_DIR)`,
      { cause: err },
    );
  }
}
