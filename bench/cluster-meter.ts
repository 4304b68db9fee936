// What a span of cluster load cost, per resource: the CPU of each node, of the PostgreSQL backends
// serving each node (named by application_name) and of the machine's postgres processes, the
// statements each node sent PostgreSQL, and Redis' own counters (commands, bytes, memory, CPU). Redis and the postgres processes are the machine's: other users of them count too, so
// the figures are deltas over the span, and a busy neighbour shows as noise.
import { readdirSync, readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { ServerChild } from './child.js';
import { machineBusySeconds, processCpuSeconds } from './cpu.js';

/** Sum of CPU seconds of every process whose command name is `name` (e.g. all PostgreSQL backends). */
function commandCpuSeconds(name: string): number | undefined {
  let total = 0;
  let found = false;
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        if (comm !== name) continue;
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        total += (Number(fields[11]) + Number(fields[12])) / 100;
        found = true;
      } catch {
        // exited meanwhile
      }
    }
  } catch {
    return undefined;
  }
  return found ? total : undefined;
}

/** What the meter reads: the nodes, how to ask PostgreSQL for their backends, and a Redis client. */
export interface MeteredTopology {
  nodes: ServerChild[];
  /** application_name of node i's connections (their PostgreSQL backends are found by it). */
  applicationName(index: number): string;
  sql<T>(text: string, values?: unknown[]): Promise<T[]>;
  redis: Redis;
}

/** Redis' counters (INFO stats, commandstats, memory). */
export interface RedisCounters {
  commands: number;
  net_in_bytes: number;
  net_out_bytes: number;
  /** Calls per command name (e.g. evalsha, publish). */
  by_command: Record<string, number>;
  used_memory_bytes: number;
  /** used_cpu_user + used_cpu_sys: Redis' own CPU seconds, to the microsecond (/proc counts in 10 ms ticks). */
  cpu_s: number;
}

export async function redisCounters(redis: Redis): Promise<RedisCounters> {
  const info = await redis.info('all');
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  const seconds = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  const byCommand: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) byCommand[match[1]!] = Number(match[2]);
  return {
    commands: field('total_commands_processed'),
    net_in_bytes: field('total_net_input_bytes'),
    net_out_bytes: field('total_net_output_bytes'),
    by_command: byCommand,
    used_memory_bytes: field('used_memory'),
    cpu_s: seconds('used_cpu_user') + seconds('used_cpu_sys'),
  };
}

/** Deltas over a span; per node where the source tells nodes apart, null where /proc could not be read. */
export interface SpanUsage {
  seconds: number;
  /** CPU seconds of each node process. */
  node_cpu_s: (number | null)[];
  /** CPU seconds of the PostgreSQL backends of each node's connections (a backend that ended during the span is missed). */
  pg_backend_cpu_s: number[];
  /** Statements each node sent PostgreSQL (each a round trip). */
  pg_trips: number[];
  /** CPU seconds of every postgres process of the machine (other users included). */
  postgres_cpu_s: number | null;
  /** Busy CPU seconds of the whole machine and of this process (the load generator). */
  machine_cpu_s: number | null;
  loadgen_cpu_s: number;
  /** Redis counter deltas, CPU included (other users of this Redis count too); used_memory_bytes is the change. */
  redis: RedisCounters;
}

/**
 * CPU seconds so far of each PostgreSQL backend whose application_name is one of `names`, by pid
 * (`node`: the index of its name). The backends must run on this machine (read from /proc).
 */
export async function pgBackendCpu(
  sql: <T>(text: string, values?: unknown[]) => Promise<T[]>,
  names: string[],
): Promise<Map<number, { node: number; seconds: number }>> {
  const rows = await sql<{ pid: number; application_name: string }>('SELECT pid, application_name FROM pg_stat_activity WHERE application_name = ANY($1)', [
    names,
  ]);
  const cpu = new Map<number, { node: number; seconds: number }>();
  for (const { pid, application_name } of rows) {
    const seconds = processCpuSeconds(pid);
    if (seconds !== undefined) cpu.set(pid, { node: names.indexOf(application_name), seconds });
  }
  return cpu;
}

const backendCpu = (topology: MeteredTopology) =>
  pgBackendCpu(
    topology.sql,
    topology.nodes.map((_, i) => topology.applicationName(i)),
  );

async function nodeTrips(nodes: ServerChild[]): Promise<number[]> {
  return Promise.all(nodes.map(async (n) => (await n.counters()).pg_round_trips ?? 0));
}

/** Starts measuring; the returned function ends the span and gives its deltas. */
export async function startMeter(topology: MeteredTopology): Promise<() => Promise<SpanUsage>> {
  const { nodes } = topology;
  const trips0 = await nodeTrips(nodes);
  const backends0 = await backendCpu(topology);
  const redis0 = await redisCounters(topology.redis);
  const nodes0 = nodes.map((n) => processCpuSeconds(n.pid));
  const pg0 = commandCpuSeconds('postgres');
  const machine0 = machineBusySeconds();
  const self0 = process.cpuUsage();
  const start = performance.now();
  return async () => {
    const seconds = (performance.now() - start) / 1000;
    const diff = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? null : b - a);
    const nodeCpu = nodes.map((n, i) => diff(nodes0[i], processCpuSeconds(n.pid)));
    const postgres = diff(pg0, commandCpuSeconds('postgres'));
    const machine = diff(machine0, machineBusySeconds());
    const self = process.cpuUsage(self0);
    const redis1 = await redisCounters(topology.redis);
    const trips1 = await nodeTrips(nodes);
    const backendSeconds = nodes.map(() => 0);
    // A backend that started during the span counts whole (pools keep theirs under load).
    for (const [pid, { node, seconds: s }] of await backendCpu(topology)) backendSeconds[node]! += s - (backends0.get(pid)?.seconds ?? 0);
    const byCommand: Record<string, number> = {};
    for (const [name, calls] of Object.entries(redis1.by_command)) {
      const delta = calls - (redis0.by_command[name] ?? 0);
      if (delta > 0) byCommand[name] = delta;
    }
    return {
      seconds,
      node_cpu_s: nodeCpu,
      pg_backend_cpu_s: backendSeconds,
      pg_trips: trips1.map((t, i) => t - trips0[i]!),
      postgres_cpu_s: postgres,
      machine_cpu_s: machine,
      loadgen_cpu_s: (self.user + self.system) / 1e6,
      redis: {
        commands: redis1.commands - redis0.commands,
        net_in_bytes: redis1.net_in_bytes - redis0.net_in_bytes,
        net_out_bytes: redis1.net_out_bytes - redis0.net_out_bytes,
        by_command: byCommand,
        used_memory_bytes: redis1.used_memory_bytes - redis0.used_memory_bytes,
        cpu_s: redis1.cpu_s - redis0.cpu_s,
      },
    };
  };
}

/** Sum of the entries, null if any is null. */
export function total(values: (number | null)[]): number | null {
  return values.some((v) => v === null) ? null : values.reduce<number>((a, v) => a + (v ?? 0), 0);
}

/** CPU shares over a span (100 = one core). */
export interface ClusterCpu {
  nodes_cpu_pct: number | null;
  loadgen_cpu_pct: number;
  postgres_cpu_pct: number | null;
  redis_cpu_pct: number | null;
  other_cpu_pct: number | null;
}

export function cpuShares(u: SpanUsage): ClusterCpu {
  const pct = (cpu: number | null) => (cpu === null ? null : Math.round((cpu / u.seconds) * 100));
  const nodes = total(u.node_cpu_s);
  const known = nodes === null ? null : nodes + (u.postgres_cpu_s ?? 0) + u.redis.cpu_s + u.loadgen_cpu_s;
  return {
    nodes_cpu_pct: pct(nodes),
    loadgen_cpu_pct: pct(u.loadgen_cpu_s)!,
    postgres_cpu_pct: pct(u.postgres_cpu_s),
    redis_cpu_pct: pct(u.redis.cpu_s),
    other_cpu_pct: known === null || u.machine_cpu_s === null ? null : Math.max(0, pct(u.machine_cpu_s - known)!),
  };
}
