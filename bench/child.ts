import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tsxExecArgv } from './tsx-loader.js';

/** What a server child sends over IPC once it listens. */
export interface ReadyMessage {
  type: 'ready';
  url: string;
}

export interface ServerChild {
  readonly pid: number;
  readonly url: string;
  readonly dataDir: string;
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
export async function startServerChild(entry: URL, options: { env?: Record<string, string>; cpuProfDir?: string; name: string }): Promise<ServerChild> {
  const dataDir = mkdtempSync(join(tmpdir(), `whispr-bench-${options.name}-`));
  const execArgv = [...tsxExecArgv()];
  // One folder per server: Node writes a profile per thread (tsx's loader hooks run on their own thread).
  if (options.cpuProfDir !== undefined) execArgv.push('--cpu-prof', `--cpu-prof-dir=${join(options.cpuProfDir, `${options.name}-${Date.now()}`)}`);
  // cwd = the data dir: nothing (e.g. a ./settings.json) leaks in from where the bench was started.
  const child = spawn(process.execPath, [...execArgv, new URL(entry).pathname], {
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

  return {
    pid,
    url,
    dataDir,
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

/**
 * Child side: exit when the parent asks, or when the parent goes away (no orphans even if it was
 * SIGKILLed; then the child also removes its own data dir, which the parent can no longer do).
 */
export function serveUntilStopped(url: string, close: () => Promise<void>): void {
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
  process.on('message', (message: { type?: string }) => {
    if (message.type === 'stop') stop(false);
  });
  process.once('disconnect', () => stop(true));
  process.once('SIGTERM', () => stop(false));
  process.send?.({ type: 'ready', url } satisfies ReadyMessage);
}
