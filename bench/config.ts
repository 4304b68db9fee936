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
}

export const PHASES = ['send', 'bare', 'push', 'group'] as const;
export type BenchPhase = (typeof PHASES)[number];

function num(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) throw new Error(`${name} must be a number >= ${min}, got "${raw}"`);
  return value;
}

export function benchConfig(): BenchConfig {
  const phases = (process.env.BENCH_PHASES ?? PHASES.join(',')).split(',').map((p) => p.trim());
  for (const p of phases) if (!(PHASES as readonly string[]).includes(p)) throw new Error(`BENCH_PHASES: unknown phase "${p}" (${PHASES.join(', ')})`);
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
  };
}
