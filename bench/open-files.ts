import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** A process's open-files limit (soft and hard; Infinity for unlimited), from /proc; undefined off Linux. */
export function openFilesLimit(pid: number | 'self' = 'self'): { soft: number; hard: number } | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const [soft, hard] = (line ?? '').slice('Max open files'.length).trim().split(/\s+/);
    const value = (v: string | undefined) => (v === 'unlimited' ? Number.POSITIVE_INFINITY : Number(v));
    return soft === undefined || hard === undefined ? undefined : { soft: value(soft), hard: value(hard) };
  } catch {
    return undefined;
  }
}

/**
 * Makes sure this process may open `needed` files. Node raises its soft limit to the hard limit at
 * startup, so this only acts when the hard limit is too low: it runs this same command again through
 * `bash -c 'ulimit -n N; exec node ...'` (which works where raising the hard limit is allowed, e.g.
 * root with CAP_SYS_RESOURCE) and resolves with that run's exit code; resolves undefined when the
 * limit is already enough; throws with what to do when the second run still has too few.
 */
export async function reexecWithOpenFiles(needed: number, log: (line: string) => void): Promise<number | undefined> {
  const limit = openFilesLimit();
  if (limit === undefined || limit.soft >= needed) return undefined;
  const advice = `the load generator may open ${limit.soft} files (hard limit ${limit.hard}) and the rooms memory run needs ${needed}: raise the hard limit (ulimit -Hn ${needed} as root, or LimitNOFILE/nofile in the service or container settings) or lower BENCH_ROOMS_IDLE_SOCKETS`;
  if (process.env.BENCH_REEXEC === '1') throw new Error(advice);
  const target = Math.max(needed, 65_536);
  log(`open-files limit ${limit.soft} (hard ${limit.hard}) < ${needed}: running again with ulimit -n ${target}`);
  const child = spawn(
    'bash',
    ['-c', `{ ulimit -n ${target} || ulimit -n ${needed}; } 2>/dev/null && exec "$0" "$@"`, process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    {
      stdio: 'inherit',
      env: { ...process.env, BENCH_REEXEC: '1' },
    },
  );
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  const code = await new Promise<number>((resolve) => child.once('exit', (c, signal) => resolve(c ?? (signal === null ? 1 : 130))));
  if (code !== 0) log(`the re-run ended with code ${code}; if the limit could not be raised: ${advice}`);
  return code;
}
