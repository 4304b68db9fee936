// The events phase: chat-app events through Whispr (POST /api/events, /ws/{user_id}, ACK) beside a
// bare node:http + ws + SQLite server (bare-events-server.ts) under the identical load, each in a
// fresh child process; then, on the same Whispr process, group events fanned out to every member
// (the bare server has no groups). See bench/README.md.
import { withServerChild, type ServerChild } from './child.js';
import type { BenchConfig } from './config.js';
import { measureEvents, type EventsRunResult } from './events-load.js';
import { measureGroupEvents, type GroupEventsRunResult } from './group-events-load.js';
import { round } from './stats.js';

const WHISPR = new URL('./whispr-server-process.ts', import.meta.url);
const BARE_EVENTS = new URL('./bare-events-server.ts', import.meta.url);

export interface EventsPhaseResult {
  whispr?: EventsRunResult;
  bare?: EventsRunResult;
  /** Whispr's group run: posts to one group, each copied to every other member. */
  group?: GroupEventsRunResult;
  /** whispr / bare events delivered per second. */
  ratio: number | null;
  rounds?: { round: number; server: string; delivered_per_s: number; p99_ms: number; server_cpu_us_per_event: number | null; other_cpu_pct: number | null }[];
}

type Kind = 'whispr' | 'bare';

/** The PostgreSQL costs of a run for its log line (on PostgreSQL). */
const pgCosts = (trips: number | null, cpuUs: number | null, op: string) =>
  trips === null ? '' : `, ${trips} pg trips/${op}, ${cpuUs ?? '-'} us pg backend CPU/${op}`;

/** Child env of an events server (Whispr in compat mode with dev ID tokens; the bare server ignores it). */
export const eventsEnv = (childEnv: Record<string, string>) => ({ ...childEnv, BENCH_WHISPR_EVENTS: '1' });

/** The direct run on a started events server (Whispr registers its users first; the bare server has none). */
export async function measureEventsOn(server: ServerChild, kind: Kind, cfg: BenchConfig, log: (line: string) => void): Promise<EventsRunResult> {
  const result = await measureEvents({
    server: kind,
    url: server.url,
    serverPid: server.pid,
    counters: () => server.counters(),
    recipients: cfg.eventRecipients,
    connections: cfg.connections,
    payloadBytes: cfg.eventPayloadBytes,
    warmupSeconds: cfg.warmupSeconds,
    seconds: cfg.seconds,
    register: kind === 'whispr',
    log,
  });
  log(
    `  ${kind}: ${result.posted_per_s} posted/s, ${result.delivered_per_s} delivered/s, p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms, lost ${result.lost}, dup ${result.duplicates}, left queued ${result.left_queued}, ${result.server_cpu_us_per_event} us server CPU/event${pgCosts(result.pg_round_trips_per_event, result.pg_backend_cpu_us_per_event, 'event')}`,
  );
  return result;
}

/** The group run on a Whispr events server (after its direct run: the same users). */
export async function measureGroupEventsOn(server: ServerChild, cfg: BenchConfig, log: (line: string) => void): Promise<GroupEventsRunResult> {
  const group = await measureGroupEvents({
    url: server.url,
    serverPid: server.pid,
    counters: () => server.counters(),
    members: cfg.eventGroupMembers,
    connections: cfg.connections,
    payloadBytes: cfg.eventPayloadBytes,
    warmupSeconds: cfg.warmupSeconds,
    seconds: cfg.seconds,
    log,
  });
  log(
    `  whispr group of ${group.members}: ${group.posted_per_s} posted/s, ${group.delivered_per_s} copies delivered/s, p50 ${group.p50_ms} ms, p99 ${group.p99_ms} ms, lost ${group.lost}, dup ${group.duplicates}, left queued ${group.left_queued}, ${group.server_cpu_us_per_post} us server CPU/post${pgCosts(group.pg_round_trips_per_post, group.pg_backend_cpu_us_per_post, 'post')}`,
  );
  return group;
}

export async function measureEventsPhase(
  cfg: BenchConfig,
  options: { childEnv: Record<string, string>; cpuProfDir: string | undefined; log: (line: string) => void },
): Promise<EventsPhaseResult> {
  const { log } = options;
  const runs: Record<Kind, EventsRunResult[]> = { whispr: [], bare: [] };
  const groupRuns: GroupEventsRunResult[] = [];
  const rounds: NonNullable<EventsPhaseResult['rounds']> = [];
  const server = { env: eventsEnv(options.childEnv), cpuProfDir: options.cpuProfDir, log };
  // Whispr and bare alternate (order swapped every other round); the median run is reported.
  for (let n = 1; n <= cfg.rounds; n++) {
    for (const kind of n % 2 === 1 ? (['whispr', 'bare'] as const) : (['bare', 'whispr'] as const)) {
      if (!cfg.phases.has(kind === 'whispr' ? 'events' : 'events-bare')) continue;
      const name = kind === 'whispr' ? 'whispr-events' : 'bare-events';
      await withServerChild(kind === 'whispr' ? WHISPR : BARE_EVENTS, { ...server, name }, async (s) => {
        const result = await measureEventsOn(s, kind, cfg, log);
        runs[kind].push(result);
        rounds.push({
          round: n,
          server: kind,
          delivered_per_s: result.delivered_per_s,
          p99_ms: result.p99_ms,
          server_cpu_us_per_event: result.server_cpu_us_per_event,
          other_cpu_pct: result.other_cpu_pct,
        });
        if (kind === 'whispr') {
          const group = await measureGroupEventsOn(s, cfg, log);
          groupRuns.push(group);
          rounds.push({
            round: n,
            server: 'group',
            delivered_per_s: group.delivered_per_s,
            p99_ms: group.p99_ms,
            server_cpu_us_per_event: group.server_cpu_us_per_copy,
            other_cpu_pct: group.other_cpu_pct,
          });
        }
      });
    }
  }
  const median = <R extends { delivered_per_s: number }>(list: R[]) =>
    [...list].sort((a, b) => a.delivered_per_s - b.delivered_per_s)[Math.floor((list.length - 1) / 2)];
  const result: EventsPhaseResult = { ratio: null };
  const whispr = median(runs.whispr);
  const bare = median(runs.bare);
  const group = median(groupRuns);
  if (whispr !== undefined) result.whispr = whispr;
  if (bare !== undefined) result.bare = bare;
  if (group !== undefined) result.group = group;
  if (whispr !== undefined && bare !== undefined && bare.delivered_per_s > 0) result.ratio = round(whispr.delivered_per_s / bare.delivered_per_s, 3);
  if (cfg.rounds > 1) result.rounds = rounds;
  return result;
}
