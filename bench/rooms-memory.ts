import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerChild } from './child.js';
import { openFilesLimit } from './open-files.js';
import { openRawReceiver, type RawReceiver } from './raw-ws-receiver.js';
import { forEachLimited, joinFrame, sleep, waitUntil } from './rooms-wire.js';
import { round } from './stats.js';

/** Memory per socket with `sockets` joined, measured from the fresh server's reading. */
export interface IdleMemoryStep {
  sockets: number;
  rss_after_kb: number;
  /** (RSS now - RSS fresh) / sockets. */
  kb_per_socket: number;
  /** The same difference split by process.memoryUsage() after a full GC (heap, external, array buffers), per socket. */
  heap_used_kb_per_socket: number;
  external_kb_per_socket: number;
  array_buffers_kb_per_socket: number;
  /** Seconds to open and join every socket so far (presence frames all received), settles excluded. */
  connect_seconds: number;
}

/** The curve's figures, the last (largest) step's at the top level. */
export interface IdleMemoryResult extends IdleMemoryStep {
  server: string;
  room_size: number;
  source_addresses: number;
  rss_before_kb: number;
  steps: IdleMemoryStep[];
  /** False when the server could not be made to collect (no --expose-gc): figures include garbage. */
  gc: boolean;
  /** The server process's open-files soft limit. */
  server_open_files: number | null;
}

/** A process's resident set size in KB (VmRSS), from /proc. */
export function residentKb(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match?.[1] === undefined) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]);
}

/** The n-th of `count` source addresses: 127.0.1.1, 127.0.1.2, ... (254 per third octet). */
const sourceAddress = (n: number) => `127.0.${1 + Math.floor(n / 254)}.${1 + (n % 254)}`;

const ERROR_FRAME = Buffer.from('"type":"error"');
/** A loaded machine can take seconds to answer a handshake; the run measures memory, not latency. */
const HANDSHAKE_TIMEOUT_MS = 30_000;
/** Sockets of the warm-up round, opened, joined and closed before the fresh reading. */
const WARM_UP_SOCKETS = 500;

/** Presence frames the first `count` joins produce in rooms of `roomSize` filled in turn: each join is announced to those already in. */
function presenceFrames(count: number, roomSize: number): number {
  const full = Math.floor(count / roomSize);
  const rest = count % roomSize;
  return (full * roomSize * (roomSize - 1)) / 2 + (rest * (rest - 1)) / 2;
}

/**
 * Server memory per idle socket, as a curve: RSS of a fresh server (warmed by 500 joins, then
 * closed) after a GC settle, then client
 * sockets opened up to each of `steps` (spread over `addresses` source addresses 127.0.x.y, joining
 * rooms of `roomSize` in turn with distinct user ids), and RSS again at each step once every presence
 * frame arrived and the server collected. The clients are raw sockets (raw-ws-receiver.ts) that only
 * count frames: the `ws` client's own cost would limit the open-and-join rate before the server's.
 */
export async function measureIdleMemory(options: {
  server: ServerChild;
  name: string;
  wsUrl: string;
  steps: number[];
  roomSize: number;
  addresses: number;
  /** Frames each join produces besides the relayed join: 1 for Whispr's userList, 0 for the bare server. */
  repliesPerJoin: number;
  settleMs: number;
  /** Write `<name>-before.heapsnapshot` and `<name>-after.heapsnapshot` here (after the first and last RSS readings). */
  snapshotDir?: string;
  log: (line: string) => void;
}): Promise<IdleMemoryResult> {
  const { server, steps, roomSize, addresses } = options;
  const total = Math.max(...steps);
  const serverFiles = openFilesLimit(server.pid)?.soft;
  if (serverFiles !== undefined && serverFiles < total + 200) {
    throw new Error(
      `${options.name}: the server may open ${serverFiles} files, fewer than ${total} sockets need: raise the hard limit or lower BENCH_ROOMS_IDLE_SOCKETS`,
    );
  }
  const settle = async () => {
    await server.collect();
    await sleep(options.settleMs);
    const memory = await server.collect();
    return { rss: residentKb(server.pid), memory };
  };
  const perAddress = Math.ceil(total / addresses);
  let frames = 0;
  let errors = 0;
  const onText = (data: Buffer, start: number, end: number) => {
    frames++;
    const at = data.indexOf(ERROR_FRAME, start);
    if (at !== -1 && at < end) errors++;
  };
  /** Opens sockets from..to-1 (socket i joins room `${prefix}${i / roomSize}`) and waits until every join was announced. */
  const openAndJoin = async (sockets: RawReceiver[], to: number, prefix: string) => {
    const from = sockets.length;
    const deadline = performance.now() + 180_000;
    await forEachLimited(to - from, 200, async (k) => {
      const i = from + k;
      if (performance.now() > deadline) throw new Error(`${options.name}: opening sockets up to ${to} took more than 180 s`);
      const address = sourceAddress(Math.floor(i / perAddress));
      const socket = await openRawReceiver(options.wsUrl, onText, HANDSHAKE_TIMEOUT_MS, address).catch((err: Error) => {
        throw new Error(`${options.name}: socket ${i} from ${address} failed after ${sockets.length} opened: ${err.message}`);
      });
      sockets.push(socket);
      socket.send(joinFrame(`${prefix}${Math.floor(i / roomSize)}`, `${prefix}${i}`));
    });
    const expected = to * options.repliesPerJoin + presenceFrames(to, roomSize);
    if (!(await waitUntil(() => frames >= expected || errors > 0, 60_000)) || errors > 0) {
      throw new Error(`${options.name}: joins not settled: ${frames}/${expected} presence frames, ${errors} error frames`);
    }
  };

  // A first round of joins, then closed: what the first sockets would otherwise pay once (compiled
  // code, grown tables) is not counted per socket, so the curve shows the cost of each socket.
  const warm: RawReceiver[] = [];
  await openAndJoin(warm, WARM_UP_SOCKETS, 'warm');
  for (const socket of warm) socket.close();
  frames = 0;
  const before = await settle();
  const snapshot = async (label: string) => {
    if (options.snapshotDir === undefined) return;
    const path = join(options.snapshotDir, `${options.name}-${label}.heapsnapshot`);
    await server.heapSnapshot(path);
    options.log(`  ${options.name}: heap snapshot ${path}`);
  };
  await snapshot('before');

  const sockets: RawReceiver[] = [];
  const measured: IdleMemoryStep[] = [];
  let connectMs = 0;
  try {
    for (const step of [...steps].sort((a, b) => a - b)) {
      const started = performance.now();
      await openAndJoin(sockets, step, 'room');
      connectMs += performance.now() - started;
      const after = await settle();
      const per = (a: number, b: number) => round((a - b) / 1024 / step, 2);
      measured.push({
        sockets: step,
        rss_after_kb: after.rss,
        kb_per_socket: round((after.rss - before.rss) / step, 2),
        heap_used_kb_per_socket: per(after.memory.usage.heapUsed, before.memory.usage.heapUsed),
        external_kb_per_socket: per(after.memory.usage.external, before.memory.usage.external),
        array_buffers_kb_per_socket: per(after.memory.usage.arrayBuffers, before.memory.usage.arrayBuffers),
        connect_seconds: round(connectMs / 1000, 1),
      });
      const last = measured.at(-1)!;
      options.log(
        `  ${options.name}: ${step} sockets in rooms of ${roomSize} (${round(connectMs / 1000, 1)} s to open and join): ${last.kb_per_socket} KB per socket (heap ${last.heap_used_kb_per_socket})`,
      );
    }
    await snapshot('after');
    const last = measured.at(-1)!;
    return {
      server: options.name,
      room_size: roomSize,
      source_addresses: Math.ceil(total / perAddress),
      rss_before_kb: before.rss,
      ...last,
      steps: measured,
      gc: before.memory.gc,
      server_open_files: serverFiles ?? null,
    };
  } finally {
    for (const socket of sockets) socket.close();
  }
}
