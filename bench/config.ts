/** Bench settings, from BENCH_* environment variables. */
export interface BenchConfig {
  seconds: number;
  /** Whispr and bare runs alternate this many times; the median run is reported. */
  rounds: number;
  warmupSeconds: number;
  connections: number;
  identities: number;
  pushRecipients: number;
  plaintextBytes: number;
  /** Initial body pool size per second of load; topped up after each warm-up from the rate it showed. */
  poolRps: number;
  logLevel: string;
  bareMode: 'insert' | 'replay';
  phases: Set<BenchPhase>;
  cpuProf: boolean;
  /** Members of the group phase's group (each with a token and a push socket). */
  groupMembers: number;
  /** `limit` of each fetch in the group phase. */
  groupFetchLimit: number;
  /** Rooms phase: receivers of the fan-out room (plus one sender). */
  roomsReceivers: number;
  /** Rooms phase: most messages in flight (sent, not yet received by every receiver). */
  roomsWindow: number;
  /** Rooms phase: random ciphertext bytes per message (plus a 15-byte stamp). */
  roomsPayloadBytes: number;
  /** Rooms phase: the memory run's curve (idle sockets at each reading), the size of the rooms they fill in turn, the source addresses they come from. */
  roomsIdleSockets: number[];
  roomsIdleRoomSize: number;
  roomsSourceAddresses: number;
  /** Rooms memory run: V8 semi-space size (MB) of both servers, pinned (0: V8's default, growing 1-16 MB). */
  roomsSemiSpaceMb: number;
  /** Rooms memory run: write heap snapshots before and after into bench/results/profiles/. */
  heapSnapshot: boolean;
  /** Signal phase: socket pairs on /signal (one call each) and most signals in flight per pair. */
  signalPairs: number;
  signalWindow: number;
  /** Events phase: chat-app users with one acknowledging socket each (also the senders), and encrypted_payload bytes per event (a 15-byte stamp, then random bytes). */
  eventRecipients: number;
  eventPayloadBytes: number;
  /** Events phase, group run: members of the one group (also the posters); each post is copied to the others. */
  eventGroupMembers: number;
  /** Cluster phase: nodes of the multi-node run (compared with one node), fixed send rate of its latency runs, and the services. */
  clusterNodes: number;
  clusterRate: number;
  /** Where the Whispr server children store (BENCH_STORAGE): sqlite (a temp dir), or postgres (clusterDatabaseUrl, a fresh schema each). */
  storage: 'sqlite' | 'postgres';
  /** Cluster phase: idle push sockets (one identity each) opened on the one-node topology to measure what a socket costs. */
  clusterIdleSockets: number;
  clusterDatabaseUrl: string;
  clusterRedisUrl: string;
}

export const PHASES = ['send', 'bare', 'original', 'push', 'group', 'rooms', 'signal', 'events', 'events-bare', 'cluster', 'pg-features'] as const;
/** Also accepted in BENCH_PHASES: half of the rooms phase. */
const ROOMS_PARTS = ['rooms-fanout', 'rooms-memory'] as const;
export type BenchPhase = (typeof PHASES)[number] | (typeof ROOMS_PARTS)[number];

function num(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) throw new Error(`${name} must be a number >= ${min}, got "${raw}"`);
  return value;
}

/** A comma-separated list of whole numbers >= 1, e.g. BENCH_ROOMS_IDLE_SOCKETS=1000,18000. */
function counts(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const list = raw.split(',').map((part) => Number(part.trim()));
  if (list.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`${name}: expected whole numbers >= 1 separated by commas, got "${raw}"`);
  return list;
}

export function benchConfig(): BenchConfig {
  const phases = (process.env.BENCH_PHASES ?? PHASES.join(',')).split(',').map((p) => p.trim());
  const known: readonly string[] = [...PHASES, ...ROOMS_PARTS];
  for (const p of phases) if (!known.includes(p)) throw new Error(`BENCH_PHASES: unknown phase "${p}" (${known.join(', ')})`);
  if (phases.includes('rooms')) phases.push(...ROOMS_PARTS);
  return {
    seconds: num('BENCH_SECONDS', 10, 1),
    rounds: Math.round(num('BENCH_ROUNDS', 1, 1)),
    warmupSeconds: num('BENCH_WARMUP_SECONDS', 2, 0),
    connections: Math.round(num('BENCH_CONNECTIONS', 32, 1)),
    identities: Math.round(num('BENCH_IDENTITIES', 2000, 2)),
    pushRecipients: Math.round(num('BENCH_PUSH_RECIPIENTS', 50, 1)),
    plaintextBytes: Math.round(num('BENCH_PLAINTEXT_BYTES', 160, 16)),
    poolRps: num('BENCH_POOL_RPS', 6000, 100),
    logLevel: process.env.BENCH_LOG_LEVEL ?? 'info',
    bareMode: process.env.BENCH_BARE_MODE === 'replay' ? 'replay' : 'insert',
    phases: new Set(phases as BenchPhase[]),
    cpuProf: process.env.BENCH_CPU_PROF === '1',
    groupMembers: Math.round(num('BENCH_GROUP_MEMBERS', 20, 2)),
    groupFetchLimit: Math.round(num('BENCH_GROUP_FETCH_LIMIT', 50, 1)),
    roomsReceivers: Math.min(60_000, Math.round(num('BENCH_ROOMS_RECEIVERS', 100, 1))),
    roomsWindow: Math.round(num('BENCH_ROOMS_WINDOW', 4, 1)),
    roomsPayloadBytes: Math.round(num('BENCH_ROOMS_PAYLOAD_BYTES', 120, 0)),
    roomsIdleSockets: counts('BENCH_ROOMS_IDLE_SOCKETS', [1_000, 5_000, 10_000, 18_000]),
    roomsIdleRoomSize: Math.round(num('BENCH_ROOMS_IDLE_ROOM_SIZE', 100, 2)),
    roomsSourceAddresses: Math.min(254 * 254, Math.round(num('BENCH_ROOMS_SOURCE_ADDRESSES', 100, 1))),
    roomsSemiSpaceMb: Math.round(num('BENCH_ROOMS_SEMI_SPACE_MB', 1, 0)),
    heapSnapshot: process.env.BENCH_HEAP_SNAPSHOT === '1',
    signalPairs: Math.round(num('BENCH_SIGNAL_PAIRS', 50, 1)),
    signalWindow: Math.round(num('BENCH_SIGNAL_WINDOW', 4, 1)),
    eventRecipients: Math.round(num('BENCH_EVENT_RECIPIENTS', 50, 1)),
    eventPayloadBytes: Math.round(num('BENCH_EVENT_PAYLOAD_BYTES', 208, 15)),
    eventGroupMembers: Math.round(num('BENCH_EVENT_GROUP_MEMBERS', 20, 2)),
    clusterNodes: Math.round(num('BENCH_CLUSTER_NODES', 3, 2)),
    clusterRate: Math.round(num('BENCH_CLUSTER_RATE', 200, 1)),
    storage: process.env.BENCH_STORAGE === 'postgres' ? 'postgres' : 'sqlite',
    clusterIdleSockets: Math.round(num('BENCH_CLUSTER_IDLE_SOCKETS', 1000, 0)),
    clusterDatabaseUrl: process.env.BENCH_CLUSTER_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    clusterRedisUrl: process.env.BENCH_CLUSTER_REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  };
}
