// The pg-features phase's section of the report: per operation (group send, chat event, group event
// and its copies), the embedded node beside the PostgreSQL node, with what each accepted operation
// cost PostgreSQL. The goal rows are in report.ts.
import type { CpuShares } from './cpu.js';
import type { PgFeaturesResult, PgFeaturesRun } from './pg-features-phase.js';
import { round } from './stats.js';
import { table } from './table.js';

/** The operations with goals (issue 18); a group event is one post, its copies included. */
export const PG_FEATURE_OPS = ['group send', 'chat event', 'group event'] as const;
type Op = (typeof PG_FEATURE_OPS)[number] | 'group event copy';

/** One operation's figures on one storage; null where the run has no such figure. */
export interface OpFigures extends CpuShares {
  per_s: number;
  req_p50_ms: number | null;
  req_p99_ms: number | null;
  /** Body handed to a connection -> frame received on a recipient's socket. */
  delivery_p99_ms: number;
  failed: number | null;
  /** Frames or events accepted but never received (group send: push frames missing). */
  lost: number;
  server_cpu_us: number | null;
  pg_round_trips: number | null;
  pg_backend_cpu_us: number | null;
}

/** A share of a per-post figure for each of its copies. */
const perCopy = (value: number | null, copies: number, digits: number) => (value === null ? null : round(value / copies, digits));

export function opFigures(run: PgFeaturesRun): Record<Op, OpFigures> {
  const { send, push } = run.group;
  const e = run.events;
  const g = run.group_events;
  const copies = g.members - 1;
  const post = (x: typeof e | typeof g) => ({
    per_s: x.posted_per_s,
    req_p50_ms: x.post_p50_ms,
    req_p99_ms: x.post_p99_ms,
    delivery_p99_ms: x.p99_ms,
    failed: x.failed,
    lost: x.lost,
    server_cpu_pct: x.server_cpu_pct,
    loadgen_cpu_pct: x.loadgen_cpu_pct,
    other_cpu_pct: x.other_cpu_pct,
  });
  return {
    'group send': {
      per_s: send.rps,
      req_p50_ms: send.p50_ms,
      req_p99_ms: send.p99_ms,
      delivery_p99_ms: push.p99_ms,
      failed: send.non2xx + send.errors + send.timeouts,
      lost: Math.max(0, push.expected - push.delivered),
      server_cpu_us: send.server_cpu_us_per_req,
      pg_round_trips: send.pg_round_trips_per_req,
      pg_backend_cpu_us: send.pg_backend_cpu_us_per_req,
      server_cpu_pct: send.server_cpu_pct,
      loadgen_cpu_pct: send.loadgen_cpu_pct,
      other_cpu_pct: send.other_cpu_pct,
    },
    'chat event': {
      ...post(e),
      server_cpu_us: e.server_cpu_us_per_event,
      pg_round_trips: e.pg_round_trips_per_event,
      pg_backend_cpu_us: e.pg_backend_cpu_us_per_event,
    },
    'group event': {
      ...post(g),
      server_cpu_us: g.server_cpu_us_per_post,
      pg_round_trips: g.pg_round_trips_per_post,
      pg_backend_cpu_us: g.pg_backend_cpu_us_per_post,
    },
    'group event copy': {
      ...post(g),
      per_s: g.delivered_per_s,
      req_p50_ms: null,
      req_p99_ms: null,
      failed: null,
      server_cpu_us: g.server_cpu_us_per_copy,
      pg_round_trips: perCopy(g.pg_round_trips_per_post, copies, 3),
      pg_backend_cpu_us: perCopy(g.pg_backend_cpu_us_per_post, copies, 1),
    },
  };
}

/** PostgreSQL over embedded operations per second, of one operation. */
export function pgOverEmbedded(p: PgFeaturesResult | undefined, op: Op): number | null {
  if (p?.sqlite === undefined || p.postgres === undefined) return null;
  const embedded = opFigures(p.sqlite)[op].per_s;
  return embedded > 0 ? round(opFigures(p.postgres)[op].per_s / embedded, 3) : null;
}

const show = (v: number | null | undefined) => (v === null || v === undefined ? '-' : v);

export function renderPgFeatures(p: PgFeaturesResult): string[] {
  if (p.skipped !== undefined) return [`PostgreSQL group sends and chat events: skipped (${p.skipped})`];
  const runs = [p.sqlite, p.postgres].filter((x): x is PgFeaturesRun => x !== undefined);
  const any = runs[0];
  if (any === undefined) return [];
  const ops = ['group send', 'chat event', 'group event', 'group event copy'] as const;
  const rows = ops.flatMap((op) =>
    runs.map((run) => {
      const x = opFigures(run)[op];
      return [
        op,
        run.storage === 'sqlite' ? 'embedded (SQLite)' : 'PostgreSQL',
        x.per_s,
        show(x.req_p50_ms),
        show(x.req_p99_ms),
        x.delivery_p99_ms,
        show(x.failed),
        x.lost,
        show(x.server_cpu_us),
        show(x.pg_round_trips),
        show(x.pg_backend_cpu_us),
        `${show(x.server_cpu_pct)}/${show(x.loadgen_cpu_pct)}/${show(x.other_cpu_pct)}`,
      ];
    }),
  );
  const out = [
    `PostgreSQL group sends and chat events beside the embedded node (one node each, bus local, ${any.events.connections} connections, back to back): group sends to ${any.group.members} members (each pushed every message), chat events among ${any.events.recipients} users, group events in a group of ${any.group_events.members} (each post copied to the ${any.group_events.members - 1} others)`,
    table([
      [
        'operation',
        'storage',
        'ops/s',
        'req p50 ms',
        'req p99 ms',
        'delivery p99 ms',
        'failed',
        'lost',
        'srv cpu us/op',
        'pg trips/op',
        'pg backends us/op',
        'cpu% srv/gen/other',
      ],
      ...rows,
    ]),
    `pg/embedded ops/s: ${PG_FEATURE_OPS.map((op) => `${op}s ${show(pgOverEmbedded(p, op))}`).join(', ')}`,
    'ops: 2xx POSTs (group event copy: copies received); req: POST latency; delivery: body handed to a connection -> frame on a recipient socket (group send: every member; events: every copy); lost: accepted, never received; pg trips: statements the server sent PostgreSQL; pg backends: CPU of the PostgreSQL backends of its connections (/proc); group event copy: the per-post figures over the copies of a post',
  ];
  if (p.rounds !== undefined) {
    out.push(`${Math.max(...p.rounds.map((x) => x.round))} rounds, median run of each operation shown; every run:`);
    for (const x of p.rounds)
      out.push(
        `  round ${x.round} ${x.storage.padEnd(8)} group sends ${x.group_sends_per_s}/s  chat events ${x.events_posted_per_s}/s  group events ${x.group_events_posted_per_s}/s`,
      );
  }
  for (const run of runs)
    for (const [op, samples] of [
      ['group send', run.group.send.error_samples],
      ['chat event', run.events.error_samples],
      ['group event', run.group_events.error_samples],
    ] as const)
      if (samples.length > 0) out.push(`${run.storage} ${op} non-2xx samples: ${samples.join(' | ')}`);
  return out;
}
