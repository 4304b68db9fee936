import { WhisprClient, type Identity } from 'whispr-sdk';
import type { BodyPool } from './bodies.js';
import { DeliveryTally, signatureFrames, type DeliveryFigures } from './delivery-tally.js';
import { cpuMeter, type CpuShares } from './cpu.js';
import { queuedMessages, settledQueuedMessages } from './health.js';
import { BodyCursor, runLoad } from './load.js';
import { round } from './stats.js';

export interface PushPhaseResult extends CpuShares, DeliveryFigures {
  sockets: number;
  seconds: number;
  /** 2xx /send answers per second during the run. */
  send_rps: number;
  send_p99_ms: number;
  /** 2xx answers of the run. */
  accepted: number;
  /** Messages still queued on the server after the drain wait (0: every accepted message was pushed). */
  left_queued: number;
  /** Server CPU time per accepted send (store + push + removal). */
  server_cpu_us_per_msg: number | null;
}

/**
 * WebSocket push rate: `recipients` each hold a push socket (/ws/{key}, strict-mode token), senders post
 * to them over `connections` connections; frames are matched to bodies by signature.
 */
export async function measurePush(options: {
  url: string;
  serverPid: number;
  pool: BodyPool;
  recipients: Identity[];
  connections: number;
  warmupSeconds: number;
  seconds: number;
  log: (line: string) => void;
}): Promise<PushPhaseResult> {
  const { url, pool, connections, seconds } = options;
  const cursor = new BodyCursor(pool);
  // Each body goes to one recipient, so one receiver's marks cover every socket.
  const tally = new DeliveryTally(
    1,
    () => pool.size,
    (index) => cursor.sentAt[index],
  );
  const onFrame = signatureFrames(tally, pool.bySignature);

  // Prove each recipient key (x25519 challenge) and open its push socket.
  const wsBase = url.replace(/^http/, 'ws');
  const sockets = await Promise.all(
    options.recipients.map(async (identity) => {
      const client = new WhisprClient({ baseUrl: url, identity });
      return tally.openPushSocket(wsBase, client.address, await client.authenticate('x25519'), onFrame);
    }),
  );

  const drain = async (expected: () => number, limitMs: number) => {
    const deadline = performance.now() + limitMs;
    while (performance.now() < deadline) {
      if (tally.total >= expected() && (await queuedMessages(url)) === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  try {
    if (options.warmupSeconds > 0) {
      const warm = await runLoad({ url, path: '/send', connections, seconds: options.warmupSeconds, cursor });
      await drain(() => warm.ok, 10_000);
      options.log(
        `  warm-up: ${warm.rps} sends/s, ${tally.total} frames received${warm.non2xx > 0 ? `, ${warm.non2xx} non-2xx: ${warm.error_samples.join(' | ')}` : ''}`,
      );
      const generated = await pool.growTo(cursor.used + Math.ceil(Math.max(warm.rps, 1000) * 1.5 * seconds) + 2 * connections);
      if (generated > 0) options.log(`  built ${generated} more bodies (pool ${pool.size})`);
    }
    tally.measureFrom = cursor.used;
    const totalBefore = tally.total;
    const meter = cpuMeter(options.serverPid);
    tally.windowStart = performance.now();
    const run = await runLoad({ url, path: '/send', connections, seconds, cursor });
    tally.windowEnd = performance.now();
    const { serverSeconds, ...cpu } = meter();
    const windowSeconds = (tally.windowEnd - tally.windowStart) / 1000;
    await drain(() => totalBefore + run.ok, 10_000);
    const leftQueued = await settledQueuedMessages(url);
    return {
      ...tally.figures(),
      sockets: sockets.length,
      seconds: round(windowSeconds),
      send_rps: run.rps,
      send_p99_ms: run.p99_ms,
      accepted: run.ok,
      left_queued: leftQueued,
      server_cpu_us_per_msg: serverSeconds === null || run.ok === 0 ? null : Math.round((serverSeconds * 1e6) / run.ok),
      ...cpu,
    };
  } finally {
    for (const ws of sockets) ws.terminate();
  }
}
