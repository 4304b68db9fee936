import type { Command } from 'commander';
import { openStorage } from '../app/backends.js';
import { createLogger } from '../app/logger.js';
import { describeSchema, readSchemaStatus } from '../maintenance/schema-status.js';
import { refuseNewerSchema } from '../storage/schema.js';
import { configFrom, printWarnings, withServerFlags, type ServerFlags } from './server-flags.js';

/** `whispr migrate [--status]`: apply the pending schema versions now, or only say where the schema stands. */
export function registerMigrateCommand(program: Command): void {
  withServerFlags(program.command('migrate').description('apply pending schema migrations (serve also does at start); --status only reports'))
    .option('--status', 'print the schema version and what is pending, change nothing')
    .action(async (flags: ServerFlags & { status?: boolean }) => {
      const loaded = configFrom(flags);
      printWarnings(loaded);
      if (flags.status === true) {
        const status = await readSchemaStatus(loaded.config);
        refuseNewerSchema(status.version, status.latest);
        console.log(describeSchema(status));
        return;
      }
      const storage = await openStorage(loaded.config, createLogger(loaded.config.log_level));
      await storage.close();
      console.log(describeSchema(storage.schema));
    });
}
