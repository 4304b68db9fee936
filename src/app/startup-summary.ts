import { resolve } from 'node:path';
import type { Config } from '../config/settings.js';
import type { SchemaReport } from '../storage/schema.js';
import { storageLocation } from './backends.js';

export interface StartupFacts {
  address: string;
  /** The settings file that was read, if any. */
  settingsFile: string | undefined;
  metricsUrl: string | undefined;
  schema: SchemaReport;
  nodeId: string;
  signatures: string;
  features: readonly string[];
  sockets: readonly string[];
}

/** The one log line an operator reads after a start: where it listens and what it runs on. */
export function startupSummary(config: Config, facts: StartupFacts): Record<string, unknown> {
  return {
    address: facts.address,
    security: config.security,
    storage: config.storage,
    storage_location: storageLocation(config),
    data_dir: resolve(config.data_dir),
    settings_file: facts.settingsFile === undefined ? 'none' : resolve(facts.settingsFile),
    metrics: facts.metricsUrl ?? (config.metrics_token === '' ? 'off' : `${facts.address}/metrics (bearer token)`),
    schema_version: facts.schema.version,
    migrated: facts.schema.applied,
    bus: config.bus,
    node: facts.nodeId,
    signatures: facts.signatures,
    features: facts.features,
    websocket_dialects: facts.sockets,
  };
}
