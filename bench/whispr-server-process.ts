// Child process: the real Whispr server, configured for the bench. Started by child.ts.
import { createWhisprServer } from '../src/app/whispr-server.js';
import { loadConfig } from '../src/config/load-config.js';
import type { Config } from '../src/config/settings.js';
import { BUDGETS_LIFTED } from './budgets-lifted.js';
import { serveUntilStopped } from './child.js';
import { createBenchSchema } from './pg-bench-schema.js';
import { countPgCosts } from './pg-round-trips.js';

const dataDir = process.env.BENCH_DATA_DIR;
if (dataDir === undefined) throw new Error('BENCH_DATA_DIR is required');

const overrides: Partial<Config> = {
  host: '127.0.0.1',
  port: 0,
  data_dir: dataDir,
  // The signal and events phases (BENCH_WHISPR_SIGNAL=1, BENCH_WHISPR_EVENTS=1) use compat mode:
  // /signal and /ws/{user_id} sockets without a token.
  security: process.env.BENCH_WHISPR_SIGNAL === '1' || process.env.BENCH_WHISPR_EVENTS === '1' ? 'compat' : 'strict',
  log_level: (process.env.BENCH_LOG_LEVEL ?? 'info') as Config['log_level'],
  // The bench drives many senders from one address as fast as it can: lift the quotas it would hit.
  max_messages_per_second: 1_000_000,
  max_requests_per_ip_per_second: 1_000_000,
  max_messages_per_recipient: 1_000_000,
  ...BUDGETS_LIFTED,
  // The rooms phase: one sender relays as fast as the window allows, and 10,000 sockets join from one
  // machine. Rate limiting stays on (its per-connection buckets are part of the cost) with the message
  // budget lifted; the connection caps are raised above what the run opens.
  ...(process.env.BENCH_WHISPR_ROOMS === '1'
    ? {
        rooms_message_limit: 10_000_000,
        rooms_connections_per_ip: 1_000_000,
        rooms_max_users_per_room: 1_000_000,
        max_websocket_connections: 1_000_000,
        max_websocket_connections_per_ip: 1_000_000,
      }
    : {}),
  // The signal phase: 50 calls and 100 sockets from one address, each sender as fast as its window allows.
  ...(process.env.BENCH_WHISPR_SIGNAL === '1'
    ? {
        max_concurrent_calls: 1_000_000,
        websocket_frames_per_second: 1_000_000,
        max_websocket_connections: 1_000_000,
        max_websocket_connections_per_ip: 1_000_000,
      }
    : {}),
  // The events phase: chat-app users signed in with unverified `dev_<name>` ID tokens, 50 recipient
  // sockets from one address each acknowledging every event, senders posting as fast as they can.
  ...(process.env.BENCH_WHISPR_EVENTS === '1'
    ? {
        oidc_dev_tokens: true,
        max_requests_per_ip_per_second: 1_000_000,
        websocket_frames_per_second: 1_000_000,
        max_events_per_recipient: 1_000_000,
        max_websocket_connections: 1_000_000,
        max_websocket_connections_per_ip: 1_000_000,
      }
    : {}),
};
// BENCH_STORAGE=postgres (and the pg-features phase): the server stores in PostgreSQL, on a schema of its
// own dropped when it stops, and counts its round trips there and its backends' CPU (bus local: one node).
const database = process.env.BENCH_WHISPR_DATABASE_URL === undefined ? undefined : await createBenchSchema(process.env.BENCH_WHISPR_DATABASE_URL);
const pgCounters = database === undefined ? undefined : countPgCosts(database);
// env: {} so nothing from the bench's environment (WHISPR_*, MAX_*) changes what is measured.
const { config } = loadConfig({ env: {}, overrides: database === undefined ? overrides : { ...overrides, storage: 'postgres', database_url: database.url } });
const server = await createWhisprServer(config);
const url = await server.listen();
serveUntilStopped(
  url,
  async () => {
    await server.close();
    await database?.drop();
  },
  pgCounters,
);
