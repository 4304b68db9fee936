import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type WebSocket from 'ws';
import type { ServerChild } from './child.js';
import { openFilesLimit } from './open-files.js';
import { closeAll, forEachLimited, joinFrame, openSocket, sleep, waitUntil } from './rooms-wire.js';
import { round } from './stats.js';

export interface IdleMemoryResult {
  server: string;
  sockets: number;
  rooms: number;
  source_addresses: number;
  /** Seconds to open and join every socket (presence frames all received). */
  connect_seconds: number;
  /** Server RSS (VmRSS) after a GC and a settle, fresh and with every socket joined. */
  rss_before_kb: number;
  rss_after_kb: number;
  /** (rss_after - rss_before) / sockets. */
  kb_per_socket: number;
  /** The same difference split by process.memoryUsage() after a full GC (heap, external, array buffers), per socket. */
  heap_used_kb_per_socket: number;
  external_kb_per_socket: number;
  array_buffers_kb_per_socket: number;
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

/**
 * Server memory per idle socket: RSS of a fresh server after a GC settle, then `sockets` client
 * sockets (spread over `addresses` source addresses 127.0.x.y) each join one of `rooms` rooms with a
 * distinct user id, and RSS again once every presence frame arrived and the server collected.
 */
export async function measureIdleMemory(options: {
  server: ServerChild;
  name: string;
  wsUrl: string;
  sockets: number;
  rooms: number;
  addresses: number;
  /** Frames each join produces besides the relayed join: 1 for Whispr's userList, 0 for the bare server. */
  repliesPerJoin: number;
  settleMs: number;
  /** Write `<name>-before.heapsnapshot` and `<name>-after.heapsnapshot` here (after each RSS reading). */
  snapshotDir?: string;
  log: (line: string) => void;
}): Promise<IdleMemoryResult> {
  const { server, sockets: count, rooms, addresses } = options;
  const serverFiles = openFilesLimit(server.pid)?.soft;
  if (serverFiles !== undefined && serverFiles < count + 200) {
    throw new Error(
      `${options.name}: the server may open ${serverFiles} files, fewer than ${count} sockets need: raise the hard limit or lower BENCH_ROOMS_IDLE_SOCKETS`,
    );
  }
  const settle = async () => {
    await server.collect();
    await sleep(options.settleMs);
    const memory = await server.collect();
    return { rss: residentKb(server.pid), memory };
  };
  const before = await settle();
  const snapshot = async (label: string) => {
    if (options.snapshotDir === undefined) return;
    const path = join(options.snapshotDir, `${options.name}-${label}.heapsnapshot`);
    await server.heapSnapshot(path);
    options.log(`  ${options.name}: heap snapshot ${path}`);
  };
  await snapshot('before');

  const perAddress = Math.ceil(count / addresses);
  let frames = 0;
  let errors = 0;
  const sockets: WebSocket[] = [];
  const started = performance.now();
  const deadline = started + 180_000;
  try {
    await forEachLimited(count, 200, async (i) => {
      if (performance.now() > deadline) throw new Error(`${options.name}: opening ${count} sockets took more than 180 s`);
      const ws = await openSocket(options.wsUrl, { localAddress: sourceAddress(Math.floor(i / perAddress)), timeoutMs: 10_000 }).catch((err: Error) => {
        throw new Error(`${options.name}: socket ${i} from ${sourceAddress(Math.floor(i / perAddress))} failed after ${sockets.length} opened: ${err.message}`);
      });
      sockets.push(ws);
      ws.on('message', (data: Buffer) => {
        frames++;
        if (data.includes('"type":"error"')) errors++;
      });
      ws.send(joinFrame(`room${i % rooms}`, `u${i}`));
    });
    let expected = count * options.repliesPerJoin;
    for (let r = 0; r < rooms; r++) {
      const members = Math.floor(count / rooms) + (r < count % rooms ? 1 : 0);
      expected += (members * (members - 1)) / 2;
    }
    if (!(await waitUntil(() => frames >= expected || errors > 0, 60_000)) || errors > 0) {
      throw new Error(`${options.name}: joins not settled: ${frames}/${expected} presence frames, ${errors} error frames`);
    }
    const connectSeconds = (performance.now() - started) / 1000;
    options.log(
      `  ${options.name}: ${sockets.length} sockets joined ${rooms} rooms from ${Math.min(addresses, count)} addresses in ${round(connectSeconds, 1)} s`,
    );
    const after = await settle();
    await snapshot('after');
    const per = (a: number, b: number) => round((a - b) / 1024 / count, 2);
    return {
      server: options.name,
      sockets: count,
      rooms,
      source_addresses: Math.ceil(count / perAddress),
      connect_seconds: round(connectSeconds, 1),
      rss_before_kb: before.rss,
      rss_after_kb: after.rss,
      kb_per_socket: round((after.rss - before.rss) / count, 2),
      heap_used_kb_per_socket: per(after.memory.usage.heapUsed, before.memory.usage.heapUsed),
      external_kb_per_socket: per(after.memory.usage.external, before.memory.usage.external),
      array_buffers_kb_per_socket: per(after.memory.usage.arrayBuffers, before.memory.usage.arrayBuffers),
      gc: after.memory.gc,
      server_open_files: serverFiles ?? null,
    };
  } finally {
    await closeAll(sockets);
  }
}
