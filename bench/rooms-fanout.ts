import type WebSocket from 'ws';
import { cpuMeter, type CpuShares } from './cpu.js';
import { openRawReceiver, type RawReceiver } from './raw-ws-receiver.js';
import { MessageEncoder, closeAll, joinFrame, openSocket, readStamp, sleep, waitUntil } from './rooms-wire.js';
import { Samples, round } from './stats.js';

export interface FanoutResult extends CpuShares {
  server: string;
  receivers: number;
  /** Most messages in flight (sent, not yet received by every receiver). */
  window: number;
  /** Bytes of the random ciphertext part of each message (plus a 15-byte stamp). */
  payload_bytes: number;
  seconds: number;
  /** Messages the sender wrote per second during the measured window. */
  sent_per_s: number;
  /** Frames received per second, summed over receivers, during the measured window. */
  delivered_per_s: number;
  /** Messages sent in the whole run (warm-up included), each expected once by every receiver. */
  sent: number;
  /** Sum over receivers of messages never received (after a drain wait). */
  lost: number;
  /** Largest count of lost messages at any one receiver. */
  lost_max_per_receiver: number;
  duplicates: number;
  duplicates_max_per_receiver: number;
  /** Frames received out of sequence order (the relay should keep each receiver's order). */
  out_of_order: number;
  /** Receivers whose socket closed during the run. */
  socket_closes: number;
  /** True when the window stopped moving for 5 s (a message was lost) and the sender gave up early. */
  stalled: boolean;
  /** Sender's write -> receiver's 'message' event, every (message, receiver) pair sent in the window. */
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
  /** Server CPU time per delivered frame. */
  server_cpu_us_per_delivery: number | null;
}

const STALL_MS = 5_000;

/**
 * Fan-out in one room: `receivers` sockets and one sender join the room (on Whispr with the rooms
 * protocol, on the bare server with the same join frame); the sender keeps at most `window` messages
 * that some receiver has not received yet, so the server always has work but nothing piles up.
 */
export async function measureFanout(options: {
  server: string;
  wsUrl: string;
  serverPid: number;
  receivers: number;
  window: number;
  payloadBytes: number;
  warmupSeconds: number;
  seconds: number;
  /** Frames each join produces besides the relayed join: 1 for Whispr's userList, 0 for the bare server. */
  repliesPerJoin: number;
  log: (line: string) => void;
}): Promise<FanoutResult> {
  const { receivers, window } = options;
  const encoder = new MessageEncoder(options.payloadBytes);
  let capacity = 1 << 16;
  let remaining = new Uint16Array(capacity); // receivers that still miss message `seq`
  const seen = Array.from({ length: receivers }, () => new Uint8Array(capacity));
  const lastSeq = new Int32Array(receivers).fill(-1);
  const unique = new Float64Array(receivers);
  const dups = new Float64Array(receivers);
  let outOfOrder = 0;
  let closes = 0;
  let otherFrames = 0;
  let errorFrames = 0;

  let nextSeq = 0;
  let completed = 0; // every message below this one reached every receiver
  let lastProgress = performance.now();
  let sending = false;
  let started = false;
  let measureFrom = Number.POSITIVE_INFINITY;
  let measureTo = Number.POSITIVE_INFINITY;
  let windowStart = Number.POSITIVE_INFINITY;
  let windowEnd = Number.POSITIVE_INFINITY;
  let inWindow = 0;
  const latencies = new Samples();
  let sender: WebSocket | undefined;

  const grow = (seq: number) => {
    while (seq >= capacity) capacity *= 2;
    const bigger = new Uint16Array(capacity);
    bigger.set(remaining);
    remaining = bigger;
    for (let r = 0; r < receivers; r++) {
      const s = new Uint8Array(capacity);
      s.set(seen[r]!);
      seen[r] = s;
    }
  };

  const pump = () => {
    while (sending && sender !== undefined && nextSeq - completed < window) {
      const seq = nextSeq++;
      if (seq >= capacity) grow(seq);
      remaining[seq] = receivers;
      sender.send(encoder.frame(seq, performance.now()));
    }
  };

  const stamp = { seq: 0, sentAt: 0 };
  let now = 0; // receive time of the frame being handled
  const onFrame = (r: number, data: Buffer, start: number, end: number) => {
    if (!readStamp(data, start, end, stamp)) {
      if (data.subarray(start, end).includes('"type":"error"')) errorFrames++;
      otherFrames++;
      return;
    }
    const { seq, sentAt } = stamp;
    if (seq >= nextSeq) return void otherFrames++;
    const mine = seen[r]!;
    if (mine[seq] === 1) {
      dups[r]!++;
      return;
    }
    mine[seq] = 1;
    unique[r]!++;
    if (seq < lastSeq[r]!) outOfOrder++;
    else lastSeq[r] = seq;
    if (now >= windowStart && now <= windowEnd) inWindow++;
    if (seq >= measureFrom && seq < measureTo) latencies.add(now - sentAt);
    if (--remaining[seq]! === 0 && seq === completed) {
      while (completed < nextSeq && remaining[completed] === 0) completed++;
      lastProgress = now;
      pump();
    }
  };

  const receiverSockets: RawReceiver[] = [];
  let senderSocket: WebSocket | undefined;
  let setupFrames = 0;
  try {
    // Receivers first, then the sender; everyone joins room "fanout". Receivers use a lean client (raw-ws-receiver.ts).
    for (let i = 0; i < receivers; i++) {
      const receiver = await openRawReceiver(
        options.wsUrl,
        (data, start, end) => {
          if (!started) return void setupFrames++;
          now = performance.now();
          onFrame(i, data, start, end);
        },
        10_000,
      );
      receiverSockets.push(receiver);
      receiver.socket.once('close', () => closes++);
      receiver.send(joinFrame('fanout', `r${i}`));
    }
    senderSocket = await openSocket(options.wsUrl, { timeoutMs: 10_000 });
    senderSocket.on('message', () => setupFrames++);
    senderSocket.send(joinFrame('fanout', 'sender'));
    const n = receivers + 1;
    const expected = (n * (n - 1)) / 2 + n * options.repliesPerJoin;
    if (!(await waitUntil(() => setupFrames >= expected, 30_000)))
      throw new Error(`${options.server}: joins not settled (${setupFrames}/${expected} presence frames)`);
    await sleep(100);
    if (setupFrames !== expected) throw new Error(`${options.server}: ${setupFrames} presence frames for ${expected} expected`);
    sender = senderSocket;

    started = true;
    sending = true;
    lastProgress = performance.now();
    pump();
    const watch = setInterval(() => {
      if (sending && performance.now() - lastProgress > STALL_MS) sending = false;
    }, 250);
    try {
      await sleep(options.warmupSeconds * 1000);
      options.log(`  ${options.server} warm-up: ${nextSeq} messages sent`);
      measureFrom = nextSeq;
      const meter = cpuMeter(options.serverPid);
      windowStart = performance.now();
      await sleep(options.seconds * 1000);
      windowEnd = performance.now();
      measureTo = nextSeq;
      const { serverSeconds, ...cpu } = meter();
      const stalled = !sending;
      sending = false;
      await waitUntil(() => completed === nextSeq, STALL_MS);

      const windowSeconds = (windowEnd - windowStart) / 1000;
      let lost = 0;
      let lostMax = 0;
      let dupTotal = 0;
      let dupMax = 0;
      for (let r = 0; r < receivers; r++) {
        const missing = nextSeq - unique[r]!;
        lost += missing;
        lostMax = Math.max(lostMax, missing);
        dupTotal += dups[r]!;
        dupMax = Math.max(dupMax, dups[r]!);
      }
      if (errorFrames > 0 || otherFrames > 0)
        options.log(`  WARNING ${options.server}: ${otherFrames} unexpected frames during the run (${errorFrames} errors)`);
      const [p50, p90, p99, max] = latencies.percentiles(50, 90, 99, 100);
      return {
        server: options.server,
        receivers,
        window,
        payload_bytes: options.payloadBytes,
        seconds: round(windowSeconds),
        sent_per_s: round((measureTo - measureFrom) / windowSeconds, 0),
        delivered_per_s: round(inWindow / windowSeconds, 0),
        sent: nextSeq,
        lost,
        lost_max_per_receiver: lostMax,
        duplicates: dupTotal,
        duplicates_max_per_receiver: dupMax,
        out_of_order: outOfOrder,
        socket_closes: closes,
        stalled,
        p50_ms: round(p50 ?? Number.NaN, 3),
        p90_ms: round(p90 ?? Number.NaN, 3),
        p99_ms: round(p99 ?? Number.NaN, 3),
        max_ms: round(max ?? Number.NaN, 3),
        server_cpu_us_per_delivery: serverSeconds === null || inWindow === 0 ? null : round((serverSeconds * 1e6) / inWindow, 2),
        ...cpu,
      };
    } finally {
      clearInterval(watch);
    }
  } finally {
    sending = false;
    for (const receiver of receiverSockets) receiver.close();
    await closeAll(senderSocket === undefined ? [] : [senderSocket]);
  }
}
