import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StartupError } from '../app/startup-error.js';

/** The file in a backup saying what it holds; `whispr restore` refuses a directory without one. */
export const MANIFEST_FILE = 'whispr-backup.json';

export interface BackupManifest {
  format: 1;
  whispr_version: string;
  storage: 'sqlite' | 'postgres';
  /** The schema version of the backed-up database (for postgres: of the database at backup time). */
  schema_version: number;
  created_at: string;
  /** Files copied per file store, and the secret files. */
  files: Record<string, number>;
}

export function readManifest(dir: string): BackupManifest {
  try {
    return JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as BackupManifest;
  } catch (err) {
    throw new StartupError(`${dir} is not a Whispr backup (${(err as Error).message}): give the directory \`whispr backup --out\` wrote`, { cause: err });
  }
}
