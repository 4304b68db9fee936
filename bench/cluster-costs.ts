// The capacity model's inputs, taken from the cluster phase's runs, and its check against them.
//  - send: the one-node throughput run (the node saturated, as a node planned near its target is).
//  - push: the cross-node latency run of the multi-node topology, where node 1 only accepts the sends
//    and node 2 only pushes them; node 3 only idles, and its CPU, backends and statements are taken
//    off node 2's as the cost of being a node at all. Redis does not tell its clients apart (7.0): a
//    push's Redis cost is that run's per message less the send's.
//  - idle socket: the one-node idle-socket run; a pub/sub delivery (group copies): redis-publish.ts.
import { sendsPerSecondOnOneMachine, type IdleSocketCost, type MeasuredCosts, type OpCost } from './capacity-model.js';
import type { ClusterLatencyResult, ClusterPhaseResult, ClusterRun, ClusterSendResult } from './cluster-phase.js';
import type { SpanUsage } from './cluster-meter.js';
import { round } from './stats.js';

function sendCost(send: ClusterSendResult): OpCost | undefined {
  if (send.ok === 0 || send.nodes_cpu_us_per_req === null) return undefined;
  return {
    node_cpu_us: send.nodes_cpu_us_per_req,
    pg_cpu_us: send.pg_backends_cpu_us_per_req ?? 0,
    pg_trips: send.pg_round_trips_per_req ?? 0,
    redis_commands: send.redis_commands_per_req ?? 0,
    redis_bytes: send.redis_bytes_per_req ?? 0,
    redis_cpu_us: send.redis_cpu_us_per_req ?? 0,
  };
}

/** Node `index`'s share of a span beyond an idle node's (`idle`, or nothing), per `count` operations. */
function nodeShare(u: SpanUsage, index: number, idle: number | undefined, count: number): Pick<OpCost, 'node_cpu_us' | 'pg_cpu_us' | 'pg_trips'> {
  const less = (values: (number | null)[]) => Math.max(0, (values[index] ?? 0) - (idle === undefined ? 0 : (values[idle] ?? 0)));
  return {
    node_cpu_us: round((less(u.node_cpu_s) * 1e6) / count, 1),
    pg_cpu_us: round((less(u.pg_backend_cpu_s) * 1e6) / count, 1),
    pg_trips: round(less(u.pg_trips) / count, 3),
  };
}

/** Redis per message of a latency run (send + push). */
function redisPerMessage(l: ClusterLatencyResult): Pick<OpCost, 'redis_commands' | 'redis_bytes' | 'redis_cpu_us'> {
  const n = Math.max(l.accepted, 1);
  return {
    redis_commands: round(l.usage.redis.commands / n, 2),
    redis_bytes: Math.round((l.usage.redis.net_in_bytes + l.usage.redis.net_out_bytes) / n),
    redis_cpu_us: round((l.usage.redis.cpu_s * 1e6) / n, 1),
  };
}

/** Push cost from the cross-node run of a topology of 2+ nodes. */
function pushCost(multi: ClusterRun, send: OpCost): OpCost | undefined {
  const cross = multi.latency.find((l) => l.path === 'cross-node');
  if (cross === undefined || cross.delivered === 0) return undefined;
  const redis = redisPerMessage(cross);
  return {
    ...nodeShare(cross.usage, 1, multi.nodes >= 3 ? 2 : undefined, cross.delivered),
    redis_commands: round(Math.max(0, redis.redis_commands - send.redis_commands), 2),
    redis_bytes: Math.max(0, redis.redis_bytes - send.redis_bytes),
    redis_cpu_us: round(Math.max(0, redis.redis_cpu_us - send.redis_cpu_us), 1),
  };
}

function idleCost(single: ClusterRun): IdleSocketCost | undefined {
  const idle = single.idle;
  if (idle === undefined) return undefined;
  return {
    // The heap after a full collection, not RSS: at 1,000 sockets RSS moves by whole arenas and young-generation resizes (0.8-17 KB per socket in runs of the same code).
    node_kb: Math.max(0, idle.node_heap_kb_per_socket),
    redis_kb: Math.max(0, idle.redis_kb_per_socket),
    node_cpu_us_per_s: Math.max(0, idle.node_cpu_us_per_socket_s ?? 0),
    pg_trips_per_s: Math.max(0, idle.pg_trips_per_socket_s),
    redis_commands_per_s: Math.max(0, idle.redis_commands_per_socket_s),
  };
}

/** The per-operation costs of this run, when both topologies and the idle run were measured. */
export function measuredCosts(c: ClusterPhaseResult): MeasuredCosts | undefined {
  const send = c.single === undefined ? undefined : sendCost(c.single.send);
  const push = c.multi === undefined || send === undefined ? undefined : pushCost(c.multi, send);
  const idle = c.single === undefined ? undefined : idleCost(c.single);
  const without = c.single?.idle?.usage_without;
  if (send === undefined || push === undefined || idle === undefined || without === undefined || c.publish === undefined) return undefined;
  const { redis_commands, redis_bytes, redis_cpu_us } = c.publish;
  return {
    send,
    push,
    idle_socket: idle,
    publish: { redis_commands, redis_bytes, redis_cpu_us },
    node_idle: {
      cpu_us_per_s: round(((without.node_cpu_s[0] ?? 0) * 1e6) / without.seconds, 0),
      pg_trips_per_s: round((without.pg_trips[0] ?? 0) / without.seconds, 2),
      redis_commands_per_s: round(without.redis.commands / without.seconds, 1),
    },
  };
}

/** The model's figure beside the measured one. */
export interface ModelCheck {
  name: string;
  model: number;
  measured: number;
  /** measured / model. */
  ratio: number;
}

const check = (name: string, model: number, measured: number): ModelCheck => ({
  name,
  model: round(model, 1),
  measured: round(measured, 1),
  ratio: model > 0 ? round(measured / model, 2) : Number.NaN,
});

/**
 * The model against this machine's runs: sends/s of each topology from the one-node run's CPU per
 * send (nodes + PostgreSQL + Redis + load generator sharing the cores the others left), and the
 * CPU and Redis commands of each latency run from the per-operation costs at its rate.
 */
export function modelChecks(c: ClusterPhaseResult, costs: MeasuredCosts, cores: number): ModelCheck[] {
  const single = c.single!;
  const loadgen = single.send.loadgen_cpu_us_per_req ?? 0;
  const out: ModelCheck[] = [];
  for (const run of [c.single, c.multi]) {
    if (run === undefined) continue;
    // The model's send does not know this run's neighbours: it gets the cores they left.
    const free = cores - (run.send.other_cpu_pct ?? 0) / 100;
    out.push(
      check(
        `${run.nodes} node${run.nodes === 1 ? '' : 's'}: sends/s on ${cores} cores`,
        sendsPerSecondOnOneMachine({ ...costs.send, loadgen_cpu_us: loadgen }, free),
        run.send.rps,
      ),
    );
    for (const l of run.latency) {
      const seconds = l.usage.seconds;
      const rate = l.accepted / seconds;
      const where = `${run.nodes} node${run.nodes === 1 ? '' : 's'} ${l.path} at ${Math.round(rate)}/s`;
      const nodesCpu = l.usage.node_cpu_s.reduce<number>((a, v) => a + (v ?? 0), 0);
      const pgCpu = l.usage.pg_backend_cpu_s.reduce((a, v) => a + v, 0);
      const per = (op: (x: OpCost) => number) => rate * (op(costs.send) + op(costs.push));
      out.push(check(`${where}: nodes cpu %`, (per((x) => x.node_cpu_us) + run.nodes * costs.node_idle.cpu_us_per_s) / 1e4, (nodesCpu / seconds) * 100));
      out.push(check(`${where}: pg backends cpu %`, per((x) => x.pg_cpu_us) / 1e4, (pgCpu / seconds) * 100));
      out.push(
        check(`${where}: redis commands/s`, per((x) => x.redis_commands) + run.nodes * costs.node_idle.redis_commands_per_s, l.usage.redis.commands / seconds),
      );
    }
  }
  return out;
}
