import type { ClusterPhaseResult, ClusterRun } from './cluster-phase.js';
import type { EventsPhaseResult } from './events-phase.js';
import type { GroupPhaseResult } from './group-load.js';
import type { PgFeaturesResult } from './pg-features-phase.js';
import { PG_FEATURE_OPS, opFigures, pgOverEmbedded, renderPgFeatures } from './pg-features-report.js';
import type { PushPhaseResult } from './push-rate.js';
import type { RoomsPhaseResult } from './rooms-phase.js';
import type { SendPhaseResult } from './send-load.js';
import type { SignalPhaseResult } from './signal-relay.js';
import { renderCapacity } from './capacity-report.js';
import { round } from './stats.js';
import { table } from './table.js';

export interface BenchResults {
  meta: Record<string, unknown>;
  send?: SendPhaseResult;
  bare?: SendPhaseResult;
  ratio?: number;
  /** The original Python server under the same /send load (median run), or why it did not run. */
  original?: { skipped?: string; mode?: 'redis' | 'memory'; run?: SendPhaseResult | undefined };
  /** Every /send run when BENCH_ROUNDS > 1 (send, bare and original above are the median runs). */
  rounds?: { round: number; server: SendServer; rps: number; p99_ms: number; server_cpu_us_per_req: number | null; other_cpu_pct: number | null }[];
  push?: PushPhaseResult;
  group?: GroupPhaseResult;
  rooms?: RoomsPhaseResult;
  signal?: SignalPhaseResult;
  events?: EventsPhaseResult;
  cluster?: ClusterPhaseResult;
  pg_features?: PgFeaturesResult;
  goals: { name: string; target: string; value: number | null; pass: boolean | null }[];
}

/** The servers of the signed /send runs: Whispr, the bare node:http baseline, the original Python server. */
export type SendServer = 'whispr' | 'bare' | 'original';

const NOISY_OTHER_CPU_PCT = 15;

export const GOALS = {
  sendRps: 4000,
  p99Ms: 25,
  ratio: 0.7,
  /** Issue 18: Whispr's server CPU per signed send beside the original Python server's in the same run. */
  originalCpuRatio: 0.125,
  groupPushP99Ms: 100,
  roomsFanoutRatio: 0.8,
  roomsP99Ms: 10,
  roomsMemoryRatio: 1.2,
  /** Issue 18: sockets opened and joined per second, beside the bare ws server's. */
  roomsJoinRateRatio: 0.8,
  /** Issue 18: KB of server RSS per idle socket at the largest reading, and the curve flat (heap per socket, largest over smallest reading). */
  roomsSocketKb: 3,
  roomsCurveFlatness: 1.2,
  eventsRatio: 0.5,
  eventsP99Ms: 100,
  // Issue 18: one node on PostgreSQL + Redis beside the embedded node of the same run, and its cost in PostgreSQL.
  clusterOneNodeRatio: 0.6,
  clusterPgRoundTrips: 2,
  clusterPgCpuUs: 150,
  // Issue 18: a message pushed from another node (Redis pub/sub) at the cluster bench's rate, and beside one pushed from the sender's node.
  clusterCrossP99Ms: 20,
  clusterCrossSameRatio: 1.5,
} as const;

/** Open-and-join rate of the memory run's sockets (each join announced to its room), whispr/bare: the bare server's seconds over Whispr's. */
function joinRateGoal(memory: { whispr?: { connect_seconds: number }; bare?: { connect_seconds: number } } | undefined): BenchResults['goals'][number] {
  const ratio = memory?.whispr && memory.bare ? round(memory.bare.connect_seconds / memory.whispr.connect_seconds, 3) : null;
  return {
    name: 'rooms open+join/s whispr/bare',
    target: `>= ${GOALS.roomsJoinRateRatio}`,
    value: ratio,
    pass: ratio === null ? null : ratio >= GOALS.roomsJoinRateRatio,
  };
}

/**
 * Whispr's RSS per idle socket at the curve's largest reading, and how flat the curve is: the V8 heap
 * per socket at the largest reading over the smallest's (RSS at small readings mostly shows what the
 * allocator kept from the warm-up, so it is no measure of slope).
 */
function socketMemoryGoals(m: IdleMemory | undefined): BenchResults['goals'] {
  const first = m?.steps[0];
  const flatness =
    m !== undefined && first !== undefined && first.heap_used_kb_per_socket > 0 ? round(m.heap_used_kb_per_socket / first.heap_used_kb_per_socket, 3) : null;
  return [
    {
      name: `rooms KB/socket at ${m?.sockets ?? '-'} sockets`,
      target: `<= ${GOALS.roomsSocketKb}`,
      value: m?.kb_per_socket ?? null,
      pass: m === undefined ? null : m.kb_per_socket <= GOALS.roomsSocketKb,
    },
    {
      name: `rooms heap KB/socket ${m?.sockets ?? '-'} / ${first?.sockets ?? '-'} sockets`,
      target: `<= ${GOALS.roomsCurveFlatness}`,
      value: flatness,
      pass: flatness === null ? null : flatness <= GOALS.roomsCurveFlatness,
    },
  ];
}

/** A run's correctness goal: nothing answered 2xx went missing, came twice or stayed queued. */
function nothingLost(name: string, x: { lost: number; duplicates: number; left_queued: number } | undefined): BenchResults['goals'][number] {
  const value = x === undefined ? null : x.lost + x.duplicates + x.left_queued;
  return { name, target: '= 0', value, pass: value === null ? null : value === 0 };
}

export function evaluateGoals(r: Omit<BenchResults, 'goals'>): BenchResults['goals'] {
  return [
    { name: 'signed sends/s', target: `>= ${GOALS.sendRps}`, value: r.send?.rps ?? null, pass: r.send === undefined ? null : r.send.rps >= GOALS.sendRps },
    { name: 'send p99 (ms)', target: `< ${GOALS.p99Ms}`, value: r.send?.p99_ms ?? null, pass: r.send === undefined ? null : r.send.p99_ms < GOALS.p99Ms },
    { name: 'whispr / bare', target: `>= ${GOALS.ratio}`, value: r.ratio ?? null, pass: r.ratio === undefined ? null : r.ratio >= GOALS.ratio },
    (() => {
      const value = originalCpuRatio(r);
      return {
        name: 'server CPU per send whispr/original',
        target: `<= ${GOALS.originalCpuRatio}`,
        value,
        pass: value === null ? null : value <= GOALS.originalCpuRatio,
      };
    })(),
    // Issue 3: group messages reach connected members within 100 ms at p99 under load (every frame counted).
    {
      name: 'group push p99 (ms)',
      target: `< ${GOALS.groupPushP99Ms}`,
      value: r.group?.push.p99_ms ?? null,
      pass: r.group === undefined ? null : r.group.push.p99_ms < GOALS.groupPushP99Ms && r.group.push.delivered >= r.group.push.expected,
    },
    // Issue 10: rooms fan-out beside bare ws, its latency, nothing lost or duplicated, memory per idle socket.
    {
      name: 'rooms fan-out whispr/bare',
      target: `>= ${GOALS.roomsFanoutRatio}`,
      value: r.rooms?.fanout.ratio ?? null,
      pass: r.rooms?.fanout.ratio == null ? null : r.rooms.fanout.ratio >= GOALS.roomsFanoutRatio,
    },
    {
      name: 'rooms fan-out p99 (ms)',
      target: `< ${GOALS.roomsP99Ms}`,
      value: r.rooms?.fanout.whispr?.p99_ms ?? null,
      pass: r.rooms?.fanout.whispr === undefined ? null : r.rooms.fanout.whispr.p99_ms < GOALS.roomsP99Ms,
    },
    {
      name: 'rooms lost + duplicated',
      target: '= 0',
      value: r.rooms?.fanout.whispr === undefined ? null : r.rooms.fanout.whispr.lost + r.rooms.fanout.whispr.duplicates,
      pass: r.rooms?.fanout.whispr === undefined ? null : r.rooms.fanout.whispr.lost + r.rooms.fanout.whispr.duplicates === 0 && !r.rooms.fanout.whispr.stalled,
    },
    {
      name: 'rooms memory/socket whispr/bare',
      target: `<= ${GOALS.roomsMemoryRatio}`,
      value: r.rooms?.memory.ratio ?? null,
      pass: r.rooms?.memory.ratio == null ? null : r.rooms.memory.ratio <= GOALS.roomsMemoryRatio,
    },
    joinRateGoal(r.rooms?.memory),
    ...socketMemoryGoals(r.rooms?.memory.whispr),
    // Chat-app events: delivered beside the bare node:http + ws + SQLite server, POST-to-receive latency, nothing lost or left queued.
    {
      name: 'events delivered/s whispr/bare',
      target: `>= ${GOALS.eventsRatio}`,
      value: r.events?.ratio ?? null,
      pass: r.events?.ratio == null ? null : r.events.ratio >= GOALS.eventsRatio,
    },
    {
      name: 'events p99 (ms)',
      target: `< ${GOALS.eventsP99Ms}`,
      value: r.events?.whispr?.p99_ms ?? null,
      pass: r.events?.whispr === undefined ? null : r.events.whispr.p99_ms < GOALS.eventsP99Ms,
    },
    nothingLost('events lost + duplicated + left queued', r.events?.whispr),
    // Group events: every member but the sender gets each post that was answered 2xx, once.
    nothingLost('group events lost + duplicated + left queued', r.events?.group),
    ...clusterGoals(r),
    ...pgFeaturesGoals(r.pg_features),
  ];
}

const atMost = (name: string, target: number, value: number | null | undefined): BenchResults['goals'][number] => ({
  name,
  target: `<= ${target}`,
  value: value ?? null,
  pass: value == null ? null : value <= target,
});

/** Issue 18: group sends, chat events and group events (a post, its copies included) on one PostgreSQL node, beside the embedded node of the same run. */
function pgFeaturesGoals(p: PgFeaturesResult | undefined): BenchResults['goals'] {
  const pg = p?.postgres === undefined ? undefined : opFigures(p.postgres);
  return PG_FEATURE_OPS.flatMap((op) => {
    const ratio = pgOverEmbedded(p, op);
    return [
      {
        name: `${op}s pg/embedded ops/s`,
        target: `>= ${GOALS.clusterOneNodeRatio}`,
        value: ratio,
        pass: ratio === null ? null : ratio >= GOALS.clusterOneNodeRatio,
      },
      atMost(`${op}s pg round trips/op`, GOALS.clusterPgRoundTrips, pg?.[op].pg_round_trips),
      atMost(`${op}s pg backend cpu us/op`, GOALS.clusterPgCpuUs, pg?.[op].pg_backend_cpu_us),
    ];
  });
}

/** Issue 18: the signed sends of one cluster node (PostgreSQL + Redis) against the embedded node measured in the same run. */
function clusterGoals(r: Omit<BenchResults, 'goals'>): BenchResults['goals'] {
  const single = r.cluster?.single?.send;
  const multi = r.cluster?.multi;
  const nodes = multi?.nodes ?? '-';
  const cross = multi?.latency.find((l) => l.path === 'cross-node');
  const same = multi?.latency.find((l) => l.path === 'same-node');
  const crossOverSame = cross === undefined || same === undefined || same.p99_ms <= 0 ? null : round(cross.p99_ms / same.p99_ms, 2);
  const ratio = single === undefined || r.send === undefined || r.send.rps === 0 ? null : round(single.rps / r.send.rps, 3);
  return [
    {
      name: '1 cluster node / embedded sends/s',
      target: `>= ${GOALS.clusterOneNodeRatio}`,
      value: ratio,
      pass: ratio === null ? null : ratio >= GOALS.clusterOneNodeRatio,
    },
    atMost('1 cluster node pg round trips/send', GOALS.clusterPgRoundTrips, single?.pg_round_trips_per_req),
    atMost('1 cluster node pg backend cpu us/send', GOALS.clusterPgCpuUs, single?.pg_backends_cpu_us_per_req),
    atMost(`${nodes} nodes cross-node push p99 (ms)`, GOALS.clusterCrossP99Ms, cross?.p99_ms),
    atMost(`${nodes} nodes push p99 cross/same-node`, GOALS.clusterCrossSameRatio, crossOverSame),
  ];
}

/** Whispr's server CPU per accepted send over the original Python server's, of the same run. */
function originalCpuRatio(r: Omit<BenchResults, 'goals'>): number | null {
  const whispr = r.send?.server_cpu_us_per_req;
  const original = r.original?.run?.server_cpu_us_per_req;
  return whispr == null || original == null || original === 0 ? null : round(whispr / original, 3);
}

const show = (v: number | null | undefined) => (v === null || v === undefined ? '-' : v);

export function renderReport(r: BenchResults): string {
  const out: string[] = [];
  const sendRow = (name: string, p: SendPhaseResult | undefined) =>
    p === undefined
      ? [name, '-', '-', '-', '-', '-', '-', '-', '-', '-']
      : [
          name,
          p.rps,
          p.p50_ms,
          p.p90_ms,
          p.p99_ms,
          p.max_ms,
          p.non2xx + p.errors + p.timeouts,
          `${p.stored}/${p.accepted}`,
          show(p.server_cpu_us_per_req),
          `${show(p.server_cpu_pct)}/${show(p.loadgen_cpu_pct)}/${show(p.other_cpu_pct)}`,
        ];
  if (r.send !== undefined || r.bare !== undefined) {
    out.push('Signed POST /send');
    out.push(
      table([
        ['server', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'failed', 'stored/2xx', 'srv cpu us/req', 'cpu% srv/gen/other'],
        sendRow('whispr', r.send),
        sendRow(`bare (${String(r.meta.bare_mode)})`, r.bare),
        ...(r.original?.run === undefined ? [] : [sendRow('original (Python)', r.original.run)]),
      ]),
    );
  }
  if (r.original?.skipped !== undefined) out.push(`original Whispr server: skipped (${r.original.skipped})`);
  if (r.original?.run !== undefined && r.send !== undefined)
    out.push(
      `whispr/original: server CPU per send ${show(originalCpuRatio(r))} (goal <= ${GOALS.originalCpuRatio}), sends/s ${round(r.send.rps / r.original.run.rps, 2)}; original: uvicorn server:app, ${r.original.mode === 'memory' ? 'memory mode (no Redis)' : 'Redis mode'}`,
    );
  if (r.rounds !== undefined) {
    out.push(`${Math.max(...r.rounds.map((x) => x.round))} rounds, median run shown; every run:`);
    for (const x of r.rounds)
      out.push(
        `  round ${x.round} ${x.server.padEnd(8)} ${String(x.rps).padStart(6)} req/s  p99 ${x.p99_ms} ms  ${show(x.server_cpu_us_per_req)} us/req  other cpu ${show(x.other_cpu_pct)}%`,
      );
  }
  if (r.ratio !== undefined) {
    const cost =
      r.send?.server_cpu_us_per_req != null && r.bare?.server_cpu_us_per_req != null
        ? `; server CPU per request bare/whispr: ${(r.bare.server_cpu_us_per_req / r.send.server_cpu_us_per_req).toFixed(3)}`
        : '';
    out.push(`whispr/bare throughput: ${r.ratio}${cost}`);
  }
  for (const [name, p] of [
    ['whispr', r.send],
    ['bare', r.bare],
    ['original', r.original?.run],
  ] as const) {
    if (p === undefined) continue;
    if (p.reused > 0) out.push(`WARNING ${name}: ${p.reused} bodies were sent twice (pool too small): those answers are duplicates, not stores`);
    if (p.error_samples.length > 0) out.push(`${name} non-2xx samples: ${p.error_samples.join(' | ')}`);
    if (p.stored < p.accepted) out.push(`WARNING ${name}: only ${p.stored} rows stored for ${p.accepted} accepted sends`);
  }
  if (r.push !== undefined) {
    const p = r.push;
    out.push('');
    out.push(`WebSocket push (${p.sockets} recipients with a socket each)`);
    out.push(
      table([
        ['sends/s', 'delivered/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'delivered/2xx', 'left queued', 'srv cpu us/msg', 'cpu% srv/gen/other'],
        [
          p.send_rps,
          p.delivered_per_s,
          p.p50_ms,
          p.p90_ms,
          p.p99_ms,
          p.max_ms,
          `${p.delivered}/${p.accepted}`,
          p.left_queued,
          show(p.server_cpu_us_per_msg),
          `${show(p.server_cpu_pct)}/${show(p.loadgen_cpu_pct)}/${show(p.other_cpu_pct)}`,
        ],
      ]),
    );
    out.push('latency: /send body handed to a connection -> push frame received on the recipient socket');
    if (p.duplicate_frames + p.unknown_frames > 0) out.push(`WARNING push: ${p.duplicate_frames} duplicate and ${p.unknown_frames} unknown frames`);
  }
  if (r.group !== undefined) out.push(...(out.length > 0 ? [''] : []), ...renderGroup(r.group));
  if (r.rooms !== undefined) out.push(...(out.length > 0 ? [''] : []), ...renderRooms(r.rooms));
  if (r.signal !== undefined) {
    const s = r.signal;
    if (out.length > 0) out.push('');
    out.push(`Signaling on /signal (${s.pairs} socket pairs, one call each, at most ${s.window} signals in flight per pair; compat mode)`);
    out.push(
      table([
        ['relayed/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'sent', 'lost', 'dup', 'srv cpu us/signal', 'cpu% srv/gen/other'],
        [
          s.relayed_per_s,
          s.p50_ms,
          s.p90_ms,
          s.p99_ms,
          s.max_ms,
          s.sent,
          s.lost,
          s.duplicates,
          show(s.server_cpu_us_per_signal),
          `${show(s.server_cpu_pct)}/${show(s.loadgen_cpu_pct)}/${show(s.other_cpu_pct)}`,
        ],
      ]),
    );
    out.push('latency: sender send() -> partner message event, every signal sent in the measured window');
    if (s.unexpected_frames + s.socket_closes > 0) out.push(`WARNING signal: ${s.unexpected_frames} unexpected frames, ${s.socket_closes} sockets closed`);
  }
  if (r.events !== undefined) out.push(...(out.length > 0 ? [''] : []), ...renderEvents(r.events));
  if (r.cluster !== undefined) out.push(...(out.length > 0 ? [''] : []), ...renderCluster(r.cluster));
  if (r.pg_features !== undefined) out.push(...(out.length > 0 ? [''] : []), ...renderPgFeatures(r.pg_features));
  out.push('cpu%: 100 = one core; srv = server process, gen = this load generator, other = the rest of the machine meanwhile');
  const noisy = [
    r.send,
    r.bare,
    r.original?.run,
    r.push,
    r.group?.send,
    r.group?.fetch,
    r.rooms?.fanout.whispr,
    r.rooms?.fanout.bare,
    r.signal,
    r.events?.whispr,
    r.events?.bare,
    r.cluster?.single?.send,
    r.cluster?.multi?.send,
    ...[r.pg_features?.sqlite, r.pg_features?.postgres].flatMap((x) => (x === undefined ? [] : [x.group.send, x.events, x.group_events])),
  ].some((p) => p !== undefined && p.other_cpu_pct !== null && p.other_cpu_pct > NOISY_OTHER_CPU_PCT);
  if (noisy)
    out.push(`WARNING: other processes used more than ${NOISY_OTHER_CPU_PCT}% CPU during a run: the figures are understated, rerun on a quiet machine`);
  out.push('');
  out.push('Goals (a miss is reported, not fatal)');
  out.push(
    table([['goal', 'target', 'measured', ''], ...r.goals.map((g) => [g.name, g.target, show(g.value), g.pass === null ? 'n/a' : g.pass ? 'PASS' : 'MISS'])]),
  );
  return out.join('\n');
}

function renderGroup(g: GroupPhaseResult): string[] {
  const out: string[] = [];
  const cpu = (p: { server_cpu_pct: number | null; loadgen_cpu_pct: number | null; other_cpu_pct: number | null }) =>
    `${show(p.server_cpu_pct)}/${show(p.loadgen_cpu_pct)}/${show(p.other_cpu_pct)}`;
  const f = g.fetch;
  out.push(`Groups (${g.members} members, each with a token and a push socket on /ws/{key}; ~${g.body_bytes}-byte send bodies)`);
  out.push(
    table([
      ['request', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'failed', 'check', 'srv cpu us/req', 'cpu% srv/gen/other'],
      [
        'POST /groups/messages/send',
        g.send.rps,
        g.send.p50_ms,
        g.send.p90_ms,
        g.send.p99_ms,
        g.send.max_ms,
        g.send.non2xx + g.send.errors + g.send.timeouts,
        `stored ${g.send.stored}/${g.send.accepted}`,
        show(g.send.server_cpu_us_per_req),
        cpu(g.send),
      ],
      ...(f === undefined
        ? []
        : [
            [
              `POST /groups/messages/fetch (limit ${f.limit})`,
              f.rps,
              f.p50_ms,
              f.p90_ms,
              f.p99_ms,
              f.max_ms,
              f.non2xx + f.errors + f.timeouts,
              `page ${f.sample_page}/${f.limit}`,
              show(f.server_cpu_us_per_req),
              cpu(f),
            ],
          ]),
    ]),
  );
  const p = g.push;
  out.push(
    table([
      ['group_message push', 'frames/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'delivered/expected', 'dup', 'unknown', 'socket closes'],
      [
        'during the send run',
        p.delivered_per_s,
        p.p50_ms,
        p.p90_ms,
        p.p99_ms,
        p.max_ms,
        `${p.delivered}/${p.expected}`,
        p.duplicate_frames,
        p.unknown_frames,
        p.socket_closes,
      ],
    ]),
  );
  out.push('push latency: send body handed to a connection -> group_message frame received on a member socket (every member, every message)');
  if (g.send.reused > 0) out.push(`WARNING group: ${g.send.reused} send bodies were sent twice (pool too small)`);
  for (const [name, run] of [
    ['send', g.send],
    ['fetch', f],
  ] as const)
    if (run !== undefined && run.error_samples.length > 0) out.push(`group ${name} non-2xx samples: ${run.error_samples.join(' | ')}`);
  if (g.send.stored < g.send.accepted) out.push(`WARNING group: only ${g.send.stored} messages stored for ${g.send.accepted} accepted sends`);
  if (p.delivered < p.expected) out.push(`WARNING group: ${p.expected - p.delivered} frames missing`);
  return out;
}

function renderRooms(rooms: RoomsPhaseResult): string[] {
  const out: string[] = [];
  const { fanout, memory } = rooms;
  const any = fanout.whispr ?? fanout.bare;
  if (any !== undefined) {
    out.push(
      `Rooms fan-out (1 sender, ${any.receivers} receivers in one room, at most ${any.window} messages in flight, ${any.payload_bytes}+15-byte messages)`,
    );
    const row = (name: string, f: typeof any | undefined) =>
      f === undefined
        ? [name, '-', '-', '-', '-', '-', '-', '-', '-', '-', '-']
        : [
            name,
            f.delivered_per_s,
            f.sent_per_s,
            f.p50_ms,
            f.p90_ms,
            f.p99_ms,
            f.max_ms,
            `${f.lost}/${f.lost_max_per_receiver}`,
            `${f.duplicates}/${f.duplicates_max_per_receiver}`,
            show(f.server_cpu_us_per_delivery),
            `${show(f.server_cpu_pct)}/${show(f.loadgen_cpu_pct)}/${show(f.other_cpu_pct)}`,
          ];
    out.push(
      table([
        ['server', 'delivered/s', 'sent/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'lost tot/max', 'dup tot/max', 'srv cpu us/frame', 'cpu% srv/gen/other'],
        row('whispr', fanout.whispr),
        row('bare ws', fanout.bare),
      ]),
    );
    out.push('latency: sender write -> receiver message event, every (message, receiver) pair; lost/dup: sum over receivers / worst receiver');
    if (fanout.ratio !== null) out.push(`whispr/bare delivered/s: ${fanout.ratio}`);
    for (const f of [fanout.whispr, fanout.bare]) {
      if (f === undefined) continue;
      if (f.stalled) out.push(`WARNING ${f.server}: the window stopped moving for 5 s (a message never arrived); the sender gave up early`);
      if (f.out_of_order + f.socket_closes > 0)
        out.push(`WARNING ${f.server}: ${f.out_of_order} frames out of order, ${f.socket_closes} receiver sockets closed`);
    }
    if (fanout.rounds !== undefined) {
      out.push(`${Math.max(...fanout.rounds.map((x) => x.round))} rounds, median run shown; every run:`);
      for (const x of fanout.rounds)
        out.push(
          `  round ${x.round} ${x.server.padEnd(6)} ${String(x.delivered_per_s).padStart(7)} delivered/s  p99 ${x.p99_ms} ms  ${show(x.server_cpu_us_per_delivery)} us/frame  other cpu ${show(x.other_cpu_pct)}%`,
        );
    }
  }
  const m = memory.whispr ?? memory.bare;
  if (m !== undefined) {
    if (out.length > 0) out.push('');
    const semi = memory.semi_space_mb === null ? "V8's default young generation" : `young generation pinned at 2 x ${memory.semi_space_mb} MB`;
    out.push(
      `Rooms memory per idle socket (sockets joined to rooms of ${m.room_size} in turn, from ${m.source_addresses} source addresses; server RSS after GC + 2 s settle at each reading; ${semi})`,
    );
    const rows = [memory.whispr, memory.bare].flatMap((x) =>
      x === undefined
        ? []
        : x.steps.map((step) => [
            x.server,
            step.sockets,
            x.rss_before_kb,
            step.rss_after_kb,
            step.kb_per_socket,
            step.heap_used_kb_per_socket,
            step.external_kb_per_socket,
            step.connect_seconds,
            show(x.server_open_files),
          ]),
    );
    out.push(
      table([
        ['server', 'sockets', 'RSS before KB', 'RSS after KB', 'KB/socket', 'heap KB/socket', 'external KB/socket', 'open+join s', 'srv open files'],
        ...rows,
      ]),
    );
    if (memory.ratio !== null) out.push(`whispr/bare memory per socket: ${memory.ratio}`);
    for (const x of [memory.whispr, memory.bare])
      if (x !== undefined && !x.gc) out.push(`WARNING ${x.server}: started without --expose-gc, RSS includes garbage`);
  }
  return out;
}

function renderEvents(e: EventsPhaseResult): string[] {
  const out: string[] = [];
  const any = e.whispr ?? e.bare;
  if (any === undefined) return out;
  out.push(
    `Chat-app events (${any.recipients} users, each with one /ws/{user_id} socket that ACKs every event on receipt; POST /api/events at ${any.connections} connections; ${any.payload_bytes}-byte payloads)`,
  );
  const row = (name: string, x: EventsRunResult | undefined) =>
    x === undefined
      ? [name, '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-']
      : [
          name,
          x.posted_per_s,
          x.delivered_per_s,
          x.p50_ms,
          x.p90_ms,
          x.p99_ms,
          x.max_ms,
          x.failed,
          x.lost,
          x.duplicates,
          x.left_queued,
          show(x.server_cpu_us_per_event),
          `${show(x.server_cpu_pct)}/${show(x.loadgen_cpu_pct)}/${show(x.other_cpu_pct)}`,
        ];
  out.push(
    table([
      [
        'server',
        'posted/s',
        'delivered/s',
        'p50 ms',
        'p90 ms',
        'p99 ms',
        'max ms',
        'failed',
        'lost',
        'dup',
        'left queued',
        'srv cpu us/event',
        'cpu% srv/gen/other',
      ],
      row('whispr', e.whispr),
      row('bare', e.bare),
    ]),
  );
  out.push(
    'latency: POST body handed to a connection -> event frame received on the recipient socket, every event sent in the measured window; lost: answered 2xx, never received after a 5 s drain',
  );
  if (e.ratio !== null) {
    const cost =
      e.whispr?.server_cpu_us_per_event != null && e.bare?.server_cpu_us_per_event != null
        ? `; server CPU per event bare/whispr: ${(e.bare.server_cpu_us_per_event / e.whispr.server_cpu_us_per_event).toFixed(3)}`
        : '';
    out.push(`whispr/bare delivered/s: ${e.ratio}${cost}`);
  }
  for (const x of [e.whispr, e.bare]) if (x !== undefined) out.push(...eventWarnings(`${x.server} events`, x));
  if (e.group !== undefined) out.push('', ...renderGroupEvents(e.group));
  if (e.rounds !== undefined) {
    out.push(`${Math.max(...e.rounds.map((x) => x.round))} rounds, median run shown; every run:`);
    for (const x of e.rounds)
      out.push(
        `  round ${x.round} ${x.server.padEnd(6)} ${String(x.delivered_per_s).padStart(7)} delivered/s  p99 ${x.p99_ms} ms  ${show(x.server_cpu_us_per_event)} us/event  other cpu ${show(x.other_cpu_pct)}%`,
      );
  }
  return out;
}

function renderGroupEvents(g: GroupEventsRunResult): string[] {
  return [
    `Group events, Whispr only (one group of ${g.members} members, each with one socket that ACKs every event on receipt; the members POST /api/events to the group at ${g.connections} connections; each post is copied to the ${g.members - 1} others)`,
    table([
      [
        'posted/s',
        'copies delivered/s',
        'p50 ms',
        'p90 ms',
        'p99 ms',
        'max ms',
        'failed',
        'lost',
        'dup',
        'left queued',
        'srv cpu us/post',
        'srv cpu us/copy',
        'cpu% srv/gen/other',
      ],
      [
        g.posted_per_s,
        g.delivered_per_s,
        g.p50_ms,
        g.p90_ms,
        g.p99_ms,
        g.max_ms,
        g.failed,
        g.lost,
        g.duplicates,
        g.left_queued,
        show(g.server_cpu_us_per_post),
        show(g.server_cpu_us_per_copy),
        `${show(g.server_cpu_pct)}/${show(g.loadgen_cpu_pct)}/${show(g.other_cpu_pct)}`,
      ],
    ]),
    'latency: POST body handed to a connection -> each copy received on a member socket; lost: copies of posts answered 2xx never received after a 5 s drain',
    ...eventWarnings('whispr group events', g),
  ];
}

/** Non-2xx samples and frames that should not have happened, of one events run. */
function eventWarnings(name: string, x: { error_samples: string[]; out_of_order: number; unexpected_frames: number; socket_closes: number }): string[] {
  const out: string[] = [];
  if (x.error_samples.length > 0) out.push(`${name} non-2xx samples: ${x.error_samples.join(' | ')}`);
  if (x.out_of_order + x.unexpected_frames + x.socket_closes > 0)
    out.push(`WARNING ${name}: ${x.out_of_order} frames out of sequence order, ${x.unexpected_frames} unexpected frames, ${x.socket_closes} sockets closed`);
  return out;
}

type EventsRunResult = NonNullable<EventsPhaseResult['whispr']>;
type GroupEventsRunResult = NonNullable<EventsPhaseResult['group']>;
type IdleMemory = NonNullable<RoomsPhaseResult['memory']['whispr']>;

function renderCluster(c: ClusterPhaseResult): string[] {
  if (c.skipped !== undefined) return [`Cluster mode: skipped (${c.skipped})`];
  const out: string[] = [];
  const runs = [c.single, c.multi].filter((x): x is ClusterRun => x !== undefined);
  const any = runs[0];
  if (any === undefined) return out;
  out.push(
    `Cluster mode (storage=postgres, bus=redis, strict mode): 1 node vs ${c.multi?.nodes ?? '-'} nodes, all on this machine with PostgreSQL, Redis and this load generator`,
  );
  out.push(
    table([
      [
        'signed /send',
        'req/s',
        'p50 ms',
        'p90 ms',
        'p99 ms',
        'max ms',
        'failed',
        'stored/accepted',
        'nodes cpu us/req',
        'all cpu us/req',
        'pg cpu us/req',
        'pg backends us/req',
        'pg trips/req',
        'redis cmds/req',
        'redis bytes/req',
        'cpu% nodes/pg/redis/gen/other',
      ],
      ...runs.map((x) => [
        `${x.nodes} node${x.nodes === 1 ? '' : 's'} (round-robin)`,
        x.send.rps,
        x.send.p50_ms,
        x.send.p90_ms,
        x.send.p99_ms,
        x.send.max_ms,
        x.send.non2xx + x.send.errors + x.send.timeouts,
        `${x.send.stored}/${x.send.accepted}`,
        show(x.send.nodes_cpu_us_per_req),
        show(x.send.backend_cpu_us_per_req),
        show(x.send.postgres_cpu_us_per_req),
        show(x.send.pg_backends_cpu_us_per_req),
        show(x.send.pg_round_trips_per_req),
        show(x.send.redis_commands_per_req),
        show(x.send.redis_bytes_per_req),
        `${show(x.send.nodes_cpu_pct)}/${show(x.send.postgres_cpu_pct)}/${show(x.send.redis_cpu_pct)}/${x.send.loadgen_cpu_pct}/${show(x.send.other_cpu_pct)}`,
      ]),
    ]),
  );
  out.push(
    `${c.multi?.nodes ?? '-'} nodes / 1 node sends/s: ${show(c.ratio)}  (all cpu us/req: nodes + PostgreSQL + Redis CPU per accepted send; pg: every postgres process of the machine; pg backends: those of the nodes' connections; pg trips: statements the nodes sent; redis cmds and bytes: INFO deltas of the whole Redis, commands inside Lua scripts counted)`,
  );
  out.push(
    table([
      ['push latency', 'rate/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'delivered/accepted', 'lost', 'dup', 'left queued'],
      ...runs.flatMap((x) =>
        x.latency.map((l) => [
          `${x.nodes} node${x.nodes === 1 ? '' : 's'}, ${l.path}`,
          l.rate_per_s,
          l.p50_ms,
          l.p90_ms,
          l.p99_ms,
          l.max_ms,
          `${l.delivered}/${l.accepted}`,
          l.lost,
          l.duplicate_frames,
          l.left_queued,
        ]),
      ),
    ]),
  );
  out.push(
    `latency: /send to the first node handed to a connection -> push frame on one of ${any.latency[0]?.sockets ?? '-'} recipient sockets (same-node: on the first node; cross-node: on the second)`,
  );
  for (const x of runs) if (x.send.error_samples.length > 0) out.push(`cluster ${x.nodes} node(s) non-2xx samples: ${x.send.error_samples.join(' | ')}`);
  const capacity = renderCapacity(c);
  if (capacity.length > 0) out.push('', ...capacity);
  return out;
}
