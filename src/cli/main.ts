import { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { ConfigError } from '../config/load-config.js';
import { describeConfig } from '../config/describe-config.js';
import { createLogger } from '../app/logger.js';
import { StartupError } from '../app/startup-error.js';
import { createWhisprServer } from '../app/whispr-server.js';
import { VERSION } from '../app/version.js';
import { formatPasswordHash, hashPassword } from '../core/password-hash.js';
import { generateIdentityJson } from './keygen.js';
import { SchemaTooNewError } from '../storage/schema.js';
import { registerBackupCommands } from './backup-commands.js';
import { registerMigrateCommand } from './migrate-command.js';
import { configFrom, printWarnings, withServerFlags, type ServerFlags } from './server-flags.js';

async function serve(flags: ServerFlags): Promise<void> {
  const loaded = configFrom(flags);
  const { config } = loaded;
  const log = createLogger(config.log_level);
  for (const warning of loaded.warnings) log.warn(warning);
  const server = await createWhisprServer(config, { logger: log, settingsFile: loaded.file });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.log.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      server.log.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdown_timeout_seconds * 1000);
    deadline.unref();
    server.close().then(
      () => process.exit(0),
      (err) => {
        server.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  await server.listen();
}

const program = new Command('whispr').description('Self-hostable zero-knowledge relay for end-to-end-encrypted messaging').version(VERSION);

withServerFlags(program.command('serve').description('run the server (embedded SQLite by default)')).action(serve);

withServerFlags(program.command('check-config').description('print the effective configuration and the limits table')).action((flags: ServerFlags) => {
  const loaded = configFrom(flags);
  printWarnings(loaded);
  console.log(describeConfig(loaded));
});

registerMigrateCommand(program);
registerBackupCommands(program);

program
  .command('keygen')
  .description('generate a Whispr identity (X25519 encryption key + Ed25519 signing key) as JSON')
  .option('--out <file>', 'write to this file (mode 0600) instead of stdout')
  .action((flags: { out?: string }) => {
    const json = JSON.stringify(generateIdentityJson(), null, 2);
    if (flags.out === undefined) console.log(json);
    else {
      try {
        writeFileSync(flags.out, `${json}\n`, { mode: 0o600, flag: 'wx' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        console.error(`whispr: ${flags.out} already exists; not overwriting an identity`);
        process.exit(1);
      }
    }
  });

program
  .command('hash-password')
  .description('read the admin password from standard input and print its scrypt hash, to use as admin_password (ADMIN_PASSWORD)')
  .action(async () => {
    let input = '';
    for await (const chunk of process.stdin) input += String(chunk);
    const password = input.replace(/\r?\n$/, '');
    if (password === '') {
      console.error('whispr: no password on standard input (e.g. printf %s "$PASSWORD" | whispr hash-password)');
      process.exit(1);
    }
    console.log(formatPasswordHash(await hashPassword(password)));
  });

program.parseAsync().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(`whispr: configuration error: ${err.message}`);
    process.exit(2);
  }
  // A failure the operator can fix: one line saying what and how, no stack trace.
  if (err instanceof StartupError || err instanceof SchemaTooNewError) {
    console.error(`whispr: ${err.message}`);
    process.exit(1);
  }
  console.error(err);
  process.exit(1);
});
