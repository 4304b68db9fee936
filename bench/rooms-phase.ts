// The rooms phase: fan-out in one room and memory per idle socket, Whispr's rooms relay beside a bare
// `ws` broadcast server (bare-ws-server.ts), each in a fresh child process. See bench/README.md.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServerChild, type ServerChild } from './child.js';
import type { BenchConfig } from './config.js';
import { openFilesLimit } from './open-files.js';
import { measureFanout, type FanoutResult } from './rooms-fanout.js';
import { measureIdleMemory, type IdleMemoryResult } from './rooms-memory.js';
import { round } from './stats.js';

const WHISPR = new URL('./whispr-server-process.ts', import.meta.url);
const BARE_WS = new URL('./bare-ws-server.ts', import.meta.url);
/** Asked for both servers; bash falls back to the hard limit when this is above it. */
const CHILD_OPEN_FILES = 65_536;

export interface RoomsPhaseResult {
  fanout: {
    whispr?: FanoutResult;
    bare?: FanoutResult;
    ratio: number | null;
    rounds?: {
      round: number;
      server: string;
      delivered_per_s: number;
      p99_ms: number;
      server_cpu_us_per_delivery: number | null;
      other_cpu_pct: number | null;
    }[];
  };
  memory: { whispr?: IdleMemoryResult; bare?: IdleMemoryResult; ratio: number | null; semi_space_mb: number | null };
  loadgen_open_files: number | null;
}

/** Open files the load generator needs for the memory run (its sockets plus a margin). */
export const roomsOpenFilesNeeded = (cfg: BenchConfig) => Math.max(...cfg.roomsIdleSockets) + 1_000;

type Kind = 'whispr' | 'bare';

export async function measureRooms(
  cfg: BenchConfig,
  options: { childEnv: Record<string, string>; cpuProfDir: string | undefined; profileRoot: string; log: (line: string) => void },
): Promise<RoomsPhaseResult> {
  const { log } = options;
  const start = async <T>(kind: Kind, purpose: 'fanout' | 'memory', body: (server: ServerChild, wsUrl: string) => Promise<T>): Promise<T> => {
    const name = `${kind === 'whispr' ? 'whispr-rooms' : 'bare-ws'}-${purpose}`;
    // Memory runs pin V8's young generation: it otherwise grows from 1 to 16 MB per semi-space under
    // allocation, at moments that depend on GC timing, and moves the figure by up to ~3 KB per socket.
    const semiSpace =
      purpose === 'memory' && cfg.roomsSemiSpaceMb > 0
        ? [`--min-semi-space-size=${cfg.roomsSemiSpaceMb}`, `--max-semi-space-size=${cfg.roomsSemiSpaceMb}`]
        : [];
    const profile = purpose === 'fanout';
    const server = await startServerChild(kind === 'whispr' ? WHISPR : BARE_WS, {
      name,
      env: { ...options.childEnv, BENCH_WHISPR_ROOMS: '1' },
      nodeFlags: ['--expose-gc', ...semiSpace],
      openFiles: CHILD_OPEN_FILES,
      ...(profile && options.cpuProfDir !== undefined ? { cpuProfDir: options.cpuProfDir } : {}),
    });
    log(`${name}: pid ${server.pid} at ${server.url} (open files ${openFilesLimit(server.pid)?.soft ?? '?'})`);
    try {
      return await body(server, kind === 'whispr' ? `${server.url.replace(/^http/, 'ws')}/rooms` : server.url);
    } finally {
      await server.stop();
    }
  };

  // Fan-out: Whispr and bare alternate (order swapped every other round); the median run is reported.
  const runs: Record<Kind, FanoutResult[]> = { whispr: [], bare: [] };
  const rounds: NonNullable<RoomsPhaseResult['fanout']['rounds']> = [];
  for (let n = 1; n <= (cfg.phases.has('rooms-fanout') ? cfg.rounds : 0); n++) {
    for (const kind of n % 2 === 1 ? (['whispr', 'bare'] as const) : (['bare', 'whispr'] as const)) {
      const result = await start(kind, 'fanout', (server, wsUrl) =>
        measureFanout({
          server: kind,
          wsUrl,
          serverPid: server.pid,
          receivers: cfg.roomsReceivers,
          window: cfg.roomsWindow,
          payloadBytes: cfg.roomsPayloadBytes,
          warmupSeconds: cfg.warmupSeconds,
          seconds: cfg.seconds,
          repliesPerJoin: kind === 'whispr' ? 1 : 0,
          log,
        }),
      );
      log(
        `  ${kind}: ${result.delivered_per_s} delivered/s, p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms, lost ${result.lost}, dup ${result.duplicates}, ${result.server_cpu_us_per_delivery} us server CPU/delivery`,
      );
      runs[kind].push(result);
      rounds.push({
        round: n,
        server: kind,
        delivered_per_s: result.delivered_per_s,
        p99_ms: result.p99_ms,
        server_cpu_us_per_delivery: result.server_cpu_us_per_delivery,
        other_cpu_pct: result.other_cpu_pct,
      });
    }
  }
  const median = (list: FanoutResult[]) => [...list].sort((a, b) => a.delivered_per_s - b.delivered_per_s)[Math.floor((list.length - 1) / 2)];
  const fanout: RoomsPhaseResult['fanout'] = { ratio: null };
  const whisprRun = median(runs.whispr);
  const bareRun = median(runs.bare);
  if (whisprRun !== undefined) fanout.whispr = whisprRun;
  if (bareRun !== undefined) fanout.bare = bareRun;
  if (whisprRun !== undefined && bareRun !== undefined && bareRun.delivered_per_s > 0)
    fanout.ratio = round(whisprRun.delivered_per_s / bareRun.delivered_per_s, 3);
  if (cfg.rounds > 1) fanout.rounds = rounds;

  // Memory: a fresh server each, Whispr first.
  const snapshotDir = cfg.heapSnapshot ? join(options.profileRoot, `heap-${Date.now()}`) : undefined;
  if (snapshotDir !== undefined) mkdirSync(snapshotDir, { recursive: true });
  const memory: RoomsPhaseResult['memory'] = { ratio: null, semi_space_mb: cfg.roomsSemiSpaceMb > 0 ? cfg.roomsSemiSpaceMb : null };
  for (const kind of cfg.phases.has('rooms-memory') ? (['whispr', 'bare'] as const) : []) {
    memory[kind] = await start(kind, 'memory', (server, wsUrl) =>
      measureIdleMemory({
        server,
        name: kind,
        wsUrl,
        steps: cfg.roomsIdleSockets,
        roomSize: cfg.roomsIdleRoomSize,
        addresses: cfg.roomsSourceAddresses,
        repliesPerJoin: kind === 'whispr' ? 1 : 0,
        settleMs: 2_000,
        ...(snapshotDir === undefined ? {} : { snapshotDir }),
        log,
      }),
    );
    const m = memory[kind];
    log(
      `  ${kind}: RSS ${m?.rss_before_kb} -> ${m?.rss_after_kb} KB, ${m?.kb_per_socket} KB per socket (heap ${m?.heap_used_kb_per_socket}, external ${m?.external_kb_per_socket})`,
    );
  }
  if (memory.whispr !== undefined && memory.bare !== undefined && memory.bare.kb_per_socket > 0)
    memory.ratio = round(memory.whispr.kb_per_socket / memory.bare.kb_per_socket, 3);
  return { fanout, memory, loadgen_open_files: openFilesLimit()?.soft ?? null };
}
