import type { PushPhaseResult } from './push-rate.js';
import type { SendPhaseResult } from './send-load.js';

export interface BenchResults {
  meta: Record<string, unknown>;
  send?: SendPhaseResult;
  bare?: SendPhaseResult;
  ratio?: number;
  /** Every /send run when BENCH_ROUNDS > 1 (send and bare above are the median runs). */
  rounds?: { round: number; server: 'whispr' | 'bare'; rps: number; p99_ms: number; server_cpu_us_per_req: number | null; other_cpu_pct: number | null }[];
  push?: PushPhaseResult;
  goals: { name: string; target: string; value: number | null; pass: boolean | null }[];
}

const NOISY_OTHER_CPU_PCT = 15;

export const GOALS = { sendRps: 4000, p99Ms: 25, ratio: 0.7 } as const;

export function evaluateGoals(r: Omit<BenchResults, 'goals'>): BenchResults['goals'] {
  return [
    { name: 'signed sends/s', target: `>= ${GOALS.sendRps}`, value: r.send?.rps ?? null, pass: r.send === undefined ? null : r.send.rps >= GOALS.sendRps },
    { name: 'send p99 (ms)', target: `< ${GOALS.p99Ms}`, value: r.send?.p99_ms ?? null, pass: r.send === undefined ? null : r.send.p99_ms < GOALS.p99Ms },
    { name: 'whispr / bare', target: `>= ${GOALS.ratio}`, value: r.ratio ?? null, pass: r.ratio === undefined ? null : r.ratio >= GOALS.ratio },
  ];
}

function table(rows: (string | number)[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => String(row[c] ?? '').length)));
  const line = (row: (string | number)[]) => row.map((cell, c) => (typeof cell === 'number' ? String(cell).padStart(widths[c]!) : String(cell).padEnd(widths[c]!))).join('  ');
  const [head, ...body] = rows;
  return [line(head!), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
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
  out.push('Signed POST /send');
  out.push(
    table([
      ['server', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'failed', 'stored/2xx', 'srv cpu us/req', 'cpu% srv/gen/other'],
      sendRow('whispr', r.send),
      sendRow(`bare (${String(r.meta.bare_mode)})`, r.bare),
    ]),
  );
  if (r.rounds !== undefined) {
    out.push(`${Math.max(...r.rounds.map((x) => x.round))} rounds, median run shown; every run:`);
    for (const x of r.rounds) out.push(`  round ${x.round} ${x.server.padEnd(6)} ${String(x.rps).padStart(6)} req/s  p99 ${x.p99_ms} ms  ${show(x.server_cpu_us_per_req)} us/req  other cpu ${show(x.other_cpu_pct)}%`);
  }
  if (r.ratio !== undefined) {
    const cost = r.send?.server_cpu_us_per_req != null && r.bare?.server_cpu_us_per_req != null ? `; server CPU per request bare/whispr: ${(r.bare.server_cpu_us_per_req / r.send.server_cpu_us_per_req).toFixed(3)}` : '';
    out.push(`whispr/bare throughput: ${r.ratio}${cost}`);
  }
  for (const [name, p] of [['whispr', r.send], ['bare', r.bare]] as const) {
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
  out.push('cpu%: 100 = one core; srv = server process, gen = this load generator, other = the rest of the machine meanwhile');
  const noisy = [r.send, r.bare, r.push].some((p) => p !== undefined && p.other_cpu_pct !== null && p.other_cpu_pct > NOISY_OTHER_CPU_PCT);
  if (noisy) out.push(`WARNING: other processes used more than ${NOISY_OTHER_CPU_PCT}% CPU during a run: the figures are understated, rerun on a quiet machine`);
  out.push('');
  out.push('Goals (a miss is reported, not fatal)');
  out.push(table([['goal', 'target', 'measured', ''], ...r.goals.map((g) => [g.name, g.target, show(g.value), g.pass === null ? 'n/a' : g.pass ? 'PASS' : 'MISS'])]));
  return out.join('\n');
}
