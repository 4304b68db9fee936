// The pg-features phase (issue 18): the group phase's sends and the events phase's chat events (direct,
// then group) on the embedded node (SQLite), and on one node on PostgreSQL (bus local), back to back so
// that both storages run under the same machine load. On PostgreSQL each run also counts the server's
// round trips and the CPU of its PostgreSQL backends per accepted operation. See bench/README.md.
import { withServerChild } from './child.js';
import type { BenchConfig } from './config.js';
import type { EventsRunResult } from './events-load.js';
import { eventsEnv, measureEventsOn, measureGroupEventsOn } from './events-phase.js';
import type { GroupEventsRunResult } from './group-events-load.js';
import { measureGroupOn, type GroupPhaseResult } from './group-load.js';
import { postgresAnswers } from '../test/support/services.js';

const WHISPR = new URL('./whispr-server-process.ts', import.meta.url);

export type Storage = 'sqlite' | 'postgres';

/** One storage's runs: group sends (no fetch run), chat events, group events (each post copied to every other member). */
export interface PgFeaturesRun {
  storage: Storage;
  group: GroupPhaseResult;
  events: EventsRunResult;
  group_events: GroupEventsRunResult;
}

export interface PgFeaturesResult {
  /** Why the phase did not run (PostgreSQL not reachable). */
  skipped?: string;
  /** Each measurement's median run over the rounds. */
  sqlite?: PgFeaturesRun;
  postgres?: PgFeaturesRun;
  rounds?: { round: number; storage: Storage; group_sends_per_s: number; events_posted_per_s: number; group_events_posted_per_s: number }[];
}

interface Options {
  childEnv: Record<string, string>;
  cpuProfDir: string | undefined;
  log: (line: string) => void;
}

async function measureStorage(storage: Storage, cfg: BenchConfig, options: Options): Promise<PgFeaturesRun> {
  const { log, cpuProfDir } = options;
  // Whatever BENCH_STORAGE says, the SQLite runs get no database URL and the PostgreSQL runs a fresh schema each.
  const { BENCH_WHISPR_DATABASE_URL: _, ...embedded } = options.childEnv;
  const env = storage === 'postgres' ? { ...embedded, BENCH_WHISPR_DATABASE_URL: cfg.clusterDatabaseUrl } : embedded;
  log(`pg-features: ${storage}`);
  const group = await withServerChild(WHISPR, { name: `whispr-group-${storage}`, env, cpuProfDir, log }, (s) => measureGroupOn(s, cfg, false, log));
  return withServerChild(WHISPR, { name: `whispr-events-${storage}`, env: eventsEnv(env), cpuProfDir, log }, async (s) => {
    const events = await measureEventsOn(s, 'whispr', cfg, log);
    return { storage, group, events, group_events: await measureGroupEventsOn(s, cfg, log) };
  });
}

/** The run with the median of `key` (the lower middle one for an even count). */
const median = <T>(list: T[], key: (x: T) => number): T => [...list].sort((a, b) => key(a) - key(b))[Math.floor((list.length - 1) / 2)]!;

export async function measurePgFeaturesPhase(cfg: BenchConfig, options: Options): Promise<PgFeaturesResult> {
  if (!(await postgresAnswers(cfg.clusterDatabaseUrl))) {
    const skipped = `PostgreSQL at ${cfg.clusterDatabaseUrl} did not answer (BENCH_CLUSTER_DATABASE_URL)`;
    options.log(`pg-features phase skipped: ${skipped}`);
    return { skipped };
  }
  const runs: Record<Storage, PgFeaturesRun[]> = { sqlite: [], postgres: [] };
  const rounds: NonNullable<PgFeaturesResult['rounds']> = [];
  // The two storages alternate (order swapped every other round).
  for (let n = 1; n <= cfg.rounds; n++) {
    for (const storage of n % 2 === 1 ? (['sqlite', 'postgres'] as const) : (['postgres', 'sqlite'] as const)) {
      const run = await measureStorage(storage, cfg, options);
      runs[storage].push(run);
      rounds.push({
        round: n,
        storage,
        group_sends_per_s: run.group.send.rps,
        events_posted_per_s: run.events.posted_per_s,
        group_events_posted_per_s: run.group_events.posted_per_s,
      });
    }
  }
  const medianRun = (storage: Storage): PgFeaturesRun => ({
    storage,
    group: median(runs[storage], (r) => r.group.send.rps).group,
    events: median(runs[storage], (r) => r.events.posted_per_s).events,
    group_events: median(runs[storage], (r) => r.group_events.posted_per_s).group_events,
  });
  return { sqlite: medianRun('sqlite'), postgres: medianRun('postgres'), ...(cfg.rounds > 1 ? { rounds } : {}) };
}
