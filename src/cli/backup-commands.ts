import type { Command } from 'commander';
import { backupDataDir } from '../maintenance/backup.js';
import { restoreDataDir } from '../maintenance/restore.js';
import { configFrom, printWarnings, withServerFlags, type ServerFlags } from './server-flags.js';

const PG_DUMP = (what: string) => `storage=postgres: the database is not in this ${what}; use pg_dump / pg_restore for it (see docs/operations.md, Backups)`;

/** `whispr backup --out DIR` and `whispr restore --from DIR [--force]`. */
export function registerBackupCommands(program: Command): void {
  withServerFlags(program.command('backup').description('copy the database (SQLite: online snapshot), every file store and the secrets into a new directory'))
    .requiredOption('--out <dir>', 'new or empty directory to write the backup to')
    .action(async (flags: ServerFlags & { out: string }) => {
      const loaded = configFrom(flags);
      printWarnings(loaded);
      const manifest = await backupDataDir(loaded.config, flags.out);
      if (manifest.storage === 'postgres') console.error(`whispr: ${PG_DUMP('backup')}`);
      console.log(`backup written to ${flags.out}: schema version ${manifest.schema_version}, files ${JSON.stringify(manifest.files)}`);
    });

  withServerFlags(program.command('restore').description('restore a `whispr backup` directory into an empty data directory (server stopped)'))
    .requiredOption('--from <dir>', 'the directory `whispr backup --out` wrote')
    .option('--force', 'replace the data already in the data directory')
    .action(async (flags: ServerFlags & { from: string; force?: boolean }) => {
      const loaded = configFrom(flags);
      printWarnings(loaded);
      const manifest = await restoreDataDir(loaded.config, flags.from, { force: flags.force === true });
      if (manifest.storage === 'postgres') console.error(`whispr: ${PG_DUMP('restore')}`);
      console.log(`restored ${flags.from} (made ${manifest.created_at}) into ${loaded.config.data_dir}`);
    });
}
