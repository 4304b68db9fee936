import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { createWhisprServer, type WhisprServer } from '../../src/app/whispr-server.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/settings.js';
import { generateIdentity, WhisprClient } from 'whispr-sdk';

export interface RunningServer {
  server: WhisprServer;
  url: string;
  config: Config;
  dataDir: string;
  /** A client with a fresh identity, speaking to this server. */
  client(options?: { auth?: 'token' | 'none' }): WhisprClient;
  stop(): Promise<void>;
}

/**
 * Budgets the feature tests would meet (they write fast, from one address); the attack tests
 * (test/abuse) start servers on the real defaults instead.
 */
const ROOMY_BUDGETS: Partial<Config> = {
  max_group_writes_per_second: 10_000,
  group_joins_per_minute: 1_000_000,
  group_joins_per_ip_per_minute: 1_000_000,
  max_events_per_second: 10_000,
  account_messages_per_second: 10_000,
  max_pending_challenges_per_ip: 100_000,
};

/**
 * A real Whispr server on 127.0.0.1 with a random port and its own data directory; silent unless given a logger.
 * It has a metrics token, so tests read its private figures from /metrics (support/server-status.ts).
 */
export async function startServer(overrides: Partial<Config> = {}, options: { logger?: Logger } = {}): Promise<RunningServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'whispr-test-'));
  const { config } = loadConfig({
    env: {},
    file: undefined,
    overrides: {
      host: '127.0.0.1',
      port: 0,
      data_dir: dataDir,
      log_level: 'silent',
      max_requests_per_ip_per_second: 10_000,
      metrics_token: randomBytes(16).toString('hex'),
      ...ROOMY_BUDGETS,
      ...overrides,
    },
  });
  const server = await createWhisprServer(config, { logger: options.logger ?? pino({ level: 'silent' }) });
  const url = await server.listen();
  return {
    server,
    url,
    config,
    dataDir,
    client: (options = {}) => new WhisprClient({ baseUrl: url, identity: generateIdentity(), ...options }),
    async stop() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export { eventually } from './eventually.js';
