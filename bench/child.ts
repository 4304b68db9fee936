import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { tsxExecArgv } from './tsx-loader.js';

/** What a server child sends over IPC once it listens. */
export interface ReadyMessage {
  type: 'ready';
  url: string;
}

/** The child's answer to a `gc` message: its memory after a full collection (process.memoryUsage()). */
export interface MemoryMessage {
  type: 'memory';
  gc: boolean;
  usage: NodeJS.MemoryUsage;
  /** V8 heap spaces (committed = physical-ish size of each) after the collection. */
  spaces: { name: string; size: number; used: number; physical: number }[];
}

/** The child's answer to a `counters` message. */
export interface CountersMessage {
  type: 'counters';
  values: Record<string, number>;
}

export interface ServerChild {
  readonly pid: number;
  readonly url: string;
  readonly dataDir: string;
  /** Runs a full GC in the child (when it was started with --expose-gc) and returns its memory usage. */
  collect(): Promise<MemoryMessage>;
  /** Writes a V8 heap snapshot of the child to `path` (allocates: later RSS readings grow). */
  heapSnapshot(path: string): Promise<void>;
  /** The counters the child keeps (see serveUntilStopped), e.g. the PostgreSQL round trips of a cluster node. */
  counters(): Promise<Record<string, number>>;
  /** Asks the child to close and exit (so --cpu-prof is written), then kills it by pid if it lingers; removes the data dir. */
  stop(): Promise<void>;
}

const live = new Map<number, { child: ChildProcess; dataDir: string }>();

/** Kills every child still running (by pid) and removes their data dirs; safe to call from an exit handler. */
export function killAllChildren(): void {
  for (const [pid, { dataDir }] of live) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
  live.clear();
}

/**
 * Runs a bench server entry (a .ts file under bench/) in its own Node process, on 127.0.0.1, with a
 * fresh temp data dir (passed as BENCH_DATA_DIR). Resolves when the child reports its URL.
 */
export async function startServerChild(
  entry: URL,
  options: {
    env?: Record<string, string>;
    cpuProfDir?: string;
    name: string;
    /** Extra Node flags (e.g. --expose-gc). */
    nodeFlags?: string[];
    /** Raise the child's open-files limit to this (or to the hard limit if lower): it is started through `bash -c 'ulimit -n N; exec node ...'`. */
    openFiles?: number;
  },
): Promise<ServerChild> {
  const dataDir = mkdtempSync(join(tmpdir(), `whispr-bench-${options.name}-`));
  const execArgv = [...(options.nodeFlags ?? []), ...tsxExecArgv()];
  // One folder per server: Node writes a profile per thread (tsx's loader hooks run on their own thread).
  if (options.cpuProfDir !== undefined) execArgv.push('--cpu-prof', `--cpu-prof-dir=${join(options.cpuProfDir, `${options.name}-${Date.now()}`)}`);
  // cwd = the data dir: nothing (e.g. a ./settings.json) leaks in from where the bench was started.
  const nodeArgs = [...execArgv, new URL(entry).pathname];
  const [command, args] =
    options.openFiles === undefined
      ? [process.execPath, nodeArgs]
      : // exec keeps the pid (the one we kill) and the IPC channel's inherited fd.
        ['bash', ['-c', `ulimit -n ${Math.floor(options.openFiles)} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"`, process.execPath, ...nodeArgs]];
  const child = spawn(command, args, {
    cwd: dataDir,
    env: { ...process.env, ...options.env, BENCH_DATA_DIR: dataDir },
    // stdout: the server's request logs go to /dev/null (written, but not read by the load generator's process).
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  if (child.pid === undefined) {
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`could not start ${options.name} server`);
  }
  const pid = child.pid;
  live.set(pid, { child, dataDir });

  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let url: string;
  try {
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${options.name} server did not report ready within 30 s`)), 30_000);
      child.on('message', (message: ReadyMessage) => {
        if (message.type === 'ready') {
          clearTimeout(timer);
          resolve(message.url);
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${options.name} server exited before it was ready (code ${code}, signal ${signal})`));
      });
    });
  } catch (err) {
    killAllChildren();
    throw err;
  }

  /** Sends an IPC request and resolves with the first answer of type `answer`. */
  const request = <T>(message: { type: string; path?: string }, answer: string, timeoutMs: number) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.off('message', onMessage);
        reject(new Error(`${options.name} server did not answer ${message.type} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      const onMessage = (reply: { type?: string }) => {
        if (reply.type !== answer) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(reply as T);
      };
      child.on('message', onMessage);
      child.send(message);
    });

  return {
    pid,
    url,
    dataDir,
    collect() {
      return request<MemoryMessage>({ type: 'gc' }, 'memory', 30_000);
    },
    async heapSnapshot(path) {
      await request<{ type: 'heap-snapshot' }>({ type: 'heap-snapshot', path }, 'heap-snapshot', 300_000);
    },
    async counters() {
      return (await request<CountersMessage>({ type: 'counters' }, 'counters', 10_000)).values;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.send({ type: 'stop' });
        const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 10_000).unref());
        if ((await Promise.race([exited, timeout])) === 'timeout') {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone meanwhile
          }
          await exited;
        }
      }
      live.delete(pid);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A server child for the length of `body` (its pid and URL logged); stopped afterwards. */
export async function withServerChild<T>(
  entry: URL,
  options: { name: string; env: Record<string, string>; cpuProfDir: string | undefined; log: (line: string) => void },
  body: (server: ServerChild) => Promise<T>,
): Promise<T> {
  const { name, env, cpuProfDir } = options;
  const server = await startServerChild(entry, { name, env, ...(cpuProfDir === undefined ? {} : { cpuProfDir }) });
  options.log(`${name}: pid ${server.pid} at ${server.url}`);
  try {
    return await body(server);
  } finally {
    await server.stop();
  }
}

/**
 * Child side: exit when the parent asks, or when the parent goes away (no orphans even if it was
 * SIGKILLed; then the child also removes its own data dir, which the parent can no longer do).
 * `counters` answers the parent's `counters` requests.
 */
export function serveUntilStopped(
  url: string,
  close: () => Promise<void>,
  counters: () => Record<string, number> | Promise<Record<string, number>> = () => ({}),
): void {
  let stopping = false;
  const stop = (orphaned: boolean) => {
    if (stopping) return;
    stopping = true;
    close()
      .finally(() => {
        const dataDir = process.env.BENCH_DATA_DIR;
        if (orphaned && dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
      })
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.on('message', (message: { type?: string; path?: string }) => {
    if (message.type === 'stop') stop(false);
    if (message.type === 'counters') void Promise.resolve(counters()).then((values) => process.send?.({ type: 'counters', values } satisfies CountersMessage));
    if (message.type === 'heap-snapshot' && message.path !== undefined) {
      writeHeapSnapshot(message.path);
      process.send?.({ type: 'heap-snapshot' });
    }
    if (message.type === 'gc') {
      // Two passes: the first may only queue finalizers / weak callbacks that free more on the second.
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      gc?.();
      const spaces = getHeapSpaceStatistics().map((s) => ({
        name: s.space_name,
        size: s.space_size,
        used: s.space_used_size,
        physical: s.physical_space_size,
      }));
      process.send?.({ type: 'memory', gc: gc !== undefined, usage: process.memoryUsage(), spaces } satisfies MemoryMessage);
    }
  });
  process.once('disconnect', () => stop(true));
  process.once('SIGTERM', () => stop(false));
  process.send?.({ type: 'ready', url } satisfies ReadyMessage);
}
