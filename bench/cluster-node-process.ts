// Child process: one Whispr node of a cluster (storage=postgres, bus=redis), configured for the
// bench. Started by cluster-phase.ts through child.ts; every node of a run gets the same database
// schema, Redis prefix and jwt_secret.
import { createWhisprServer } from '../src/app/whispr-server.js';
import { loadConfig } from '../src/config/load-config.js';
import type { Config } from '../src/config/settings.js';
import { BUDGETS_LIFTED } from './budgets-lifted.js';
import { serveUntilStopped } from './child.js';
import { countPgRoundTrips } from './pg-round-trips.js';

const required = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is required`);
  return value;
};

const overrides: Partial<Config> = {
  host: '127.0.0.1',
  port: 0,
  data_dir: required('BENCH_DATA_DIR'),
  security: 'strict',
  storage: 'postgres',
  database_url: required('BENCH_CLUSTER_DATABASE_URL'),
  bus: 'redis',
  redis_url: required('BENCH_CLUSTER_REDIS_URL'),
  redis_prefix: required('BENCH_CLUSTER_REDIS_PREFIX'),
  jwt_secret: required('BENCH_CLUSTER_JWT_SECRET'),
  log_level: (process.env.BENCH_LOG_LEVEL ?? 'info') as Config['log_level'],
  // As in whispr-server-process.ts: the quotas the load would trip over are lifted (their Redis
  // buckets are still taken on every request: that is part of the cluster's cost).
  max_messages_per_second: 1_000_000,
  max_requests_per_ip_per_second: 1_000_000,
  max_messages_per_recipient: 1_000_000,
  // The idle-socket run opens its sockets from one address.
  max_websocket_connections: 1_000_000,
  max_websocket_connections_per_ip: 1_000_000,
  ...BUDGETS_LIFTED,
};
// env: {} so nothing from the bench's environment (WHISPR_*, MAX_*) changes what is measured.
const { config } = loadConfig({ env: {}, overrides });
const pgCounters = countPgRoundTrips();
const server = await createWhisprServer(config);
const url = await server.listen();
serveUntilStopped(url, () => server.close(), pgCounters);
