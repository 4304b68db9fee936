import type { BodyPool } from './bodies.js';
import { cpuMeter, type CpuShares } from './cpu.js';
import { queuedMessages } from './health.js';
import { BodyCursor, runLoad, type LoadResult } from './load.js';

export interface SendPhaseResult extends LoadResult, CpuShares {
  warmup_rps: number;
  /** Bodies handed to connections over warm-up and run (a few are still in flight when a run stops). */
  bodies_sent: number;
  /** 2xx answers over warm-up and run. */
  accepted: number;
  /** Rows in the server's inbox table afterwards: between `accepted` and `bodies_sent` when every send was stored once. */
  stored: number;
  /** Bodies sent twice because the pool ran out (0 unless the pool was too small). */
  reused: number;
  bodies_generated_after_warmup: number;
  /** Server CPU time per 2xx answer: less sensitive to a noisy machine than req/s. */
  server_cpu_us_per_req: number | null;
}

/** Signed POST /send from many senders to many recipients: warm-up, then the measured run, then a storage check. */
export async function measureSend(options: {
  url: string;
  serverPid: number;
  pool: BodyPool;
  connections: number;
  warmupSeconds: number;
  seconds: number;
  log: (line: string) => void;
  /** Messages the server holds afterwards; by default its queued_messages figure. */
  stored?: () => Promise<number>;
}): Promise<SendPhaseResult> {
  const { url, pool, connections, seconds } = options;
  const cursor = new BodyCursor(pool);
  let warmupRps = 0;
  let warmupOk = 0;
  if (options.warmupSeconds > 0) {
    const warm = await runLoad({ url, path: '/send', connections, seconds: options.warmupSeconds, cursor });
    warmupRps = warm.rps;
    warmupOk = warm.ok;
    options.log(`  warm-up: ${warm.rps} req/s, p99 ${warm.p99_ms} ms${warm.non2xx > 0 ? `, ${warm.non2xx} non-2xx: ${warm.error_samples.join(' | ')}` : ''}`);
  }
  // Enough distinct bodies for the run at 1.5x the warm-up rate (crypto now, not during the run).
  const generated = await pool.growTo(cursor.used + Math.ceil(Math.max(warmupRps, 1000) * 1.5 * seconds) + 2 * connections);
  if (generated > 0) options.log(`  built ${generated} more bodies (pool ${pool.size})`);

  const meter = cpuMeter(options.serverPid);
  const run = await runLoad({ url, path: '/send', connections, seconds, cursor });
  const { serverSeconds, ...cpu } = meter();
  // Let the requests still in flight when the run stopped finish before counting rows.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const stored = await (options.stored ?? (() => queuedMessages(url)))();
  return {
    ...run,
    warmup_rps: warmupRps,
    bodies_sent: cursor.used,
    accepted: warmupOk + run.ok,
    stored,
    reused: cursor.reused,
    bodies_generated_after_warmup: generated,
    server_cpu_us_per_req: serverSeconds === null || run.ok === 0 ? null : Math.round((serverSeconds * 1e6) / run.ok),
    ...cpu,
  };
}
