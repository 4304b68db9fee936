import { readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ; 100 on every mainstream Linux build

/** CPU seconds (user + system) used so far by a process, from /proc; undefined off Linux. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the ")" that closes the command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Busy CPU seconds of the whole machine (all cores), from /proc/stat; undefined off Linux. */
export function machineBusySeconds(): number | undefined {
  try {
    const [, ...ticks] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already counted in user)
    const busy = ticks.slice(0, 8).reduce((sum, t, i) => (i === 3 || i === 4 ? sum : sum + t), 0);
    return Number.isFinite(busy) ? busy / CLOCK_TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}

export interface CpuShares {
  /** 100 = one full core. */
  server_cpu_pct: number | null;
  loadgen_cpu_pct: number | null;
  /** Everything else on the machine meanwhile (other processes, kernel); high values mean a noisy run. */
  other_cpu_pct: number | null;
}

export interface CpuSpan extends CpuShares {
  /** CPU seconds the server used over the span (null off Linux). */
  serverSeconds: number | null;
}

/** Measures the CPU share of a server child, of this process and of the rest of the machine over a span. */
export function cpuMeter(serverPid: number): () => CpuSpan {
  const start = performance.now();
  const serverStart = processCpuSeconds(serverPid);
  const machineStart = machineBusySeconds();
  const selfStart = process.cpuUsage();
  return () => {
    const seconds = (performance.now() - start) / 1000;
    const serverEnd = processCpuSeconds(serverPid);
    const machineEnd = machineBusySeconds();
    const self = process.cpuUsage(selfStart);
    const selfSeconds = (self.user + self.system) / 1e6;
    const pct = (cpu: number) => Math.round((cpu / seconds) * 100);
    const server = serverStart === undefined || serverEnd === undefined ? undefined : serverEnd - serverStart;
    const machine = machineStart === undefined || machineEnd === undefined ? undefined : machineEnd - machineStart;
    return {
      serverSeconds: server ?? null,
      server_cpu_pct: server === undefined ? null : pct(server),
      loadgen_cpu_pct: pct(selfSeconds),
      other_cpu_pct: machine === undefined || server === undefined ? null : Math.max(0, pct(machine - server - selfSeconds)),
    };
  };
}
