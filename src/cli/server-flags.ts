import type { Command } from 'commander';
import { loadConfig, type ConfigSources, type LoadedConfig } from '../config/load-config.js';
import { SETTINGS } from '../config/settings.js';

export type ServerFlags = Record<string, string | undefined> & { config?: string };

/** Settings that have a command-line flag, from the one settings table (src/config/settings.ts). */
const FLAGGED = SETTINGS.filter((spec): spec is Extract<(typeof SETTINGS)[number], { flag: string }> => 'flag' in spec);
/** commander's option key of a flag: --data-dir -> dataDir. */
const optionKey = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Every setting's flag and --config, for the commands that read the server's configuration. */
export const withServerFlags = (command: Command) => {
  for (const spec of FLAGGED) command.option(`--${spec.flag} <value>`, `${spec.description} (${spec.env[0]})`);
  return command.option('--config <file>', 'settings.json to read (WHISPR_CONFIG; default ./settings.json if present)');
};

function sourcesFrom(flags: ServerFlags): ConfigSources {
  return { file: flags.config, flags: Object.fromEntries(FLAGGED.map((spec) => [spec.flag, flags[optionKey(spec.flag)]])) };
}

/** The configuration these flags, the environment and the settings file give. */
export const configFrom = (flags: ServerFlags): LoadedConfig => loadConfig(sourcesFrom(flags));

/** Warnings for a command that has no logger (check-config, migrate, backup): one line each on stderr. */
export const printWarnings = ({ warnings }: LoadedConfig) => {
  for (const warning of warnings) console.error(`whispr: warning: ${warning}`);
};
