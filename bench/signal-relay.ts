// The signal phase (issue 4): P pairs of /signal sockets, each pair in its own call; the first socket
// of a pair sends `signal` frames (seq + send time in the payload) with at most W in flight, the partner
// receives them relayed. Frames relayed per second, send-to-receive latency, lost/duplicated by seq.
import type WebSocket from 'ws';
import { cpuMeter, type CpuShares } from './cpu.js';
import { closeAll, openSocket, sleep, waitUntil } from './rooms-wire.js';
import { Samples, round } from './stats.js';

export interface SignalPhaseResult extends CpuShares {
  pairs: number;
  /** Most signals in flight per pair (sent, not yet received by the partner). */
  window: number;
  seconds: number;
  /** Signal frames received by partners per second (all pairs) during the measured window. */
  relayed_per_s: number;
  /** Signals sent in the whole run (warm-up included). */
  sent: number;
  /** Never received after a 5 s drain (sum over pairs), and received more than once. */
  lost: number;
  duplicates: number;
  /** Frames other than the expected signals (errors, peer-leave...) during the run. */
  unexpected_frames: number;
  socket_closes: number;
  /** Sender's send() -> partner's 'message' event, every signal sent in the measured window. */
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
  server_cpu_us_per_signal: number | null;
}

const DRAIN_MS = 5_000;
const PEER_JOIN = '{"type":"peer-join"}';

export async function measureSignal(options: {
  wsUrl: string;
  serverPid: number;
  pairs: number;
  window: number;
  warmupSeconds: number;
  seconds: number;
  log: (line: string) => void;
}): Promise<SignalPhaseResult> {
  const { pairs, window } = options;
  const sent = new Float64Array(pairs);
  const received = new Float64Array(pairs); // unique signals received by each pair's partner
  const seen: Uint8Array[] = Array.from({ length: pairs }, () => new Uint8Array(1 << 12));
  let duplicates = 0;
  let unexpected = 0;
  let closes = 0;
  let peerJoins = 0;
  let sending = false;
  let windowStart = Number.POSITIVE_INFINITY;
  let windowEnd = Number.POSITIVE_INFINITY;
  let inWindow = 0;
  const latencies = new Samples();
  const senders: WebSocket[] = [];
  const receivers: WebSocket[] = [];

  const pump = (i: number) => {
    const ws = senders[i]!;
    while (sending && sent[i]! - received[i]! < window) {
      const seq = sent[i]!;
      sent[i] = seq + 1;
      ws.send(`{"type":"signal","call_id":"bench-${i}","payload":{"seq":${seq},"t":${performance.now()}}}`);
    }
  };

  const onReceive = (i: number, data: WebSocket.RawData) => {
    const now = performance.now();
    const text = data.toString();
    if (text === PEER_JOIN) return void peerJoins++;
    const frame = JSON.parse(text) as { type?: string; payload?: { seq?: number; t?: number } };
    const seq = frame.payload?.seq;
    const t = frame.payload?.t;
    if (frame.type !== 'signal' || typeof seq !== 'number' || typeof t !== 'number' || seq >= sent[i]!) return void unexpected++;
    let mine = seen[i]!;
    if (seq >= mine.length) {
      const bigger = new Uint8Array(Math.max(seq + 1, mine.length * 2));
      bigger.set(mine);
      seen[i] = mine = bigger;
    }
    if (mine[seq] === 1) return void duplicates++;
    mine[seq] = 1;
    received[i]!++;
    if (now >= windowStart && now <= windowEnd) inWindow++;
    if (t >= windowStart && t < windowEnd) latencies.add(now - t);
    pump(i);
  };

  try {
    for (let i = 0; i < pairs; i++) {
      const a = await openSocket(options.wsUrl, { timeoutMs: 10_000 });
      const b = await openSocket(options.wsUrl, { timeoutMs: 10_000 });
      senders.push(a);
      receivers.push(b);
      for (const ws of [a, b]) ws.once('close', () => closes++);
      // Whichever socket's join the server handles first gets peer-join when the other joins (one per pair).
      a.on('message', (data) => {
        if (data.toString() === PEER_JOIN) peerJoins++;
        else unexpected++;
      });
      b.on('message', (data) => onReceive(i, data));
      a.send(JSON.stringify({ type: 'join', call_id: `bench-${i}` }));
      b.send(JSON.stringify({ type: 'join', call_id: `bench-${i}` }));
    }
    if (!(await waitUntil(() => peerJoins >= pairs, 30_000)))
      throw new Error(`signal: only ${peerJoins}/${pairs} peer-join frames (unexpected frames: ${unexpected})`);
    if (unexpected > 0 || closes > 0) throw new Error(`signal: ${unexpected} unexpected frames, ${closes} closed sockets during the joins`);

    sending = true;
    for (let i = 0; i < pairs; i++) pump(i);
    await sleep(options.warmupSeconds * 1000);
    const total = () => sent.reduce((s, x) => s + x, 0);
    options.log(`  signal warm-up: ${total()} signals sent`);
    const meter = cpuMeter(options.serverPid);
    windowStart = performance.now();
    await sleep(options.seconds * 1000);
    windowEnd = performance.now();
    const { serverSeconds, ...cpu } = meter();
    sending = false;
    const sentTotal = total();
    await waitUntil(() => received.reduce((s, x) => s + x, 0) >= sentTotal, DRAIN_MS);
    const receivedTotal = received.reduce((s, x) => s + x, 0);
    const windowSeconds = (windowEnd - windowStart) / 1000;
    if (unexpected > 0) options.log(`  WARNING signal: ${unexpected} unexpected frames during the run`);
    const [p50, p90, p99, max] = latencies.percentiles(50, 90, 99, 100);
    return {
      pairs,
      window,
      seconds: round(windowSeconds),
      relayed_per_s: round(inWindow / windowSeconds, 0),
      sent: sentTotal,
      lost: sentTotal - receivedTotal,
      duplicates,
      unexpected_frames: unexpected,
      socket_closes: closes,
      p50_ms: round(p50 ?? Number.NaN, 3),
      p90_ms: round(p90 ?? Number.NaN, 3),
      p99_ms: round(p99 ?? Number.NaN, 3),
      max_ms: round(max ?? Number.NaN, 3),
      server_cpu_us_per_signal: serverSeconds === null || inWindow === 0 ? null : round((serverSeconds * 1e6) / inWindow, 2),
      ...cpu,
    };
  } finally {
    sending = false;
    await closeAll([...senders, ...receivers]);
  }
}
