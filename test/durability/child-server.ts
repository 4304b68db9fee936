import type { ChildProcess } from 'node:child_process';
import { spawnWhispr } from '../config/cli.js';
import { onFreePort } from '../support/free-port.js';

export interface ChildServer {
  child: ChildProcess;
  url: string;
  /** Everything the process wrote so far (for failure messages). */
  output(): string;
  /** Resolves with the exit code and signal once the process is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Every child started by this module, so afterEach can kill whatever is still running. */
const started = new Set<ChildProcess>();

/** `whispr serve` as its own process on a data directory; resolves once /readyz answers 200. */
export function startChildServer(dataDir: string, env: Record<string, string> = {}): Promise<ChildServer> {
  return onFreePort((port) => startOnPort(port, dataDir, env));
}

async function startOnPort(port: number, dataDir: string, env: Record<string, string>): Promise<ChildServer> {
  const child = spawnWhispr(['serve', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir, '--security', 'compat'], {
    cwd: dataDir,
    env: {
      WHISPR_LOG_LEVEL: 'warn',
      WHISPR_MAX_REQUESTS_PER_IP_PER_SECOND: '100000',
      MAX_MESSAGES_PER_SECOND: '100000',
      // The abuse budgets (see test/support/test-server.ts): these tests write fast from one address.
      WHISPR_MAX_GROUP_WRITES_PER_SECOND: '100000',
      WHISPR_MAX_EVENTS_PER_SECOND: '100000',
      WHISPR_ACCOUNT_MESSAGES_PER_SECOND: '100000',
      WHISPR_MAX_PENDING_CHALLENGES_PER_IP: '100000',
      ...env,
    },
  });
  started.add(child);
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (output += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      started.delete(child);
      resolve({ code, signal });
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`whispr serve exited early:\n${output}`);
    if (Date.now() > deadline) {
      killChild(child);
      throw new Error(`whispr serve not ready in time:\n${output}`);
    }
    const status = await fetch(`${url}/readyz`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, url, output: () => output, exited };
}

/** SIGKILLs one child by its pid if it is still running. */
export function killChild(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** For afterEach/afterAll: kills every child this module started that is still alive. */
export async function killAllChildren(): Promise<void> {
  const alive = [...started];
  await Promise.all(
    alive.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          killChild(child);
        }),
    ),
  );
  started.clear();
}
