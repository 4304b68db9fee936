import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Absolute paths, so the CLI can run from any working directory (no stray ./settings.json). */
export const CLI_MAIN = fileURLToPath(new URL('../../src/cli/whispr.ts', import.meta.url));
export const TSX_LOADER = fileURLToPath(import.meta.resolve('tsx'));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `whispr <args>` as its own process: node with the tsx loader on the TypeScript sources. */
export function spawnWhispr(args: string[], options: { cwd: string; env?: Record<string, string> }): ChildProcess {
  const env: Record<string, string> = {};
  // Only what node needs; no WHISPR_* or seed variables leak in from the test runner.
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'SYSTEMROOT']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return spawn(process.execPath, ['--import', TSX_LOADER, CLI_MAIN, ...args], {
    cwd: options.cwd,
    env: { ...env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs `whispr <args>` to completion (killing it if it outlives the timeout). */
export function runWhispr(args: string[], options: { cwd: string; env?: Record<string, string>; timeoutMs?: number }): Promise<CliResult> {
  const child = spawnWhispr(args, options);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`whispr ${args.join(' ')} did not exit in time; stdout=${stdout} stderr=${stderr}`));
    }, options.timeoutMs ?? 20_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
