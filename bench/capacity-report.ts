// The cluster phase's capacity section of the report: per-operation costs, the model beside the
// runs it was measured on, and its projections for the example workloads (docs/capacity.md).
import { DEFAULT_DEPLOYMENT, groupCopyCost, type OpCost } from './capacity-model.js';
import type { ClusterPhaseResult } from './cluster-phase.js';
import { table } from './table.js';

const fmt = (v: number, digits = 0) => Number(v.toFixed(digits)).toLocaleString('en-US');

export function renderCapacity(c: ClusterPhaseResult): string[] {
  const { costs, model_checks: checks, projections } = c;
  if (costs === undefined || checks === undefined || projections === undefined) return [];
  const op = (name: string, x: OpCost) => [name, x.node_cpu_us, x.pg_cpu_us, x.pg_trips, x.redis_commands, x.redis_bytes, x.redis_cpu_us];
  const idle = costs.idle_socket;
  const out = [
    'Capacity model inputs (docs/capacity.md; Redis figures, its CPU included, are INFO deltas of the whole Redis: other users of it on this machine count too)',
    table([
      ['per operation', 'node cpu us', 'pg cpu us', 'pg trips', 'redis cmds', 'redis bytes', 'redis cpu us'],
      op('send (1 node, saturated)', costs.send),
      op('push (cross-node run, pushing node)', costs.push),
      op('group copy (model: push on the node, one publish in Redis)', groupCopyCost(costs.push, costs.publish)),
    ]),
    `pub/sub delivery (${c.publish?.publishes ?? '-'} PUBLISH of ${c.publish?.message_bytes ?? '-'} bytes, one subscriber): ${costs.publish.redis_cpu_us} us Redis CPU, ${costs.publish.redis_bytes} bytes, ${costs.publish.redis_commands} commands each`,
    `idle push socket (${c.single?.idle?.sockets ?? '-'} on 1 node): ${idle.node_kb} KB node heap + external (RSS: ${c.single?.idle?.node_kb_per_socket ?? '-'} KB), ${idle.redis_kb} KB Redis, per second ${idle.node_cpu_us_per_s} us node CPU, ${idle.pg_trips_per_s} pg trips, ${idle.redis_commands_per_s} redis cmds; idle node per second: ${costs.node_idle.cpu_us_per_s} us CPU, ${costs.node_idle.pg_trips_per_s} pg trips, ${costs.node_idle.redis_commands_per_s} redis cmds`,
    '',
    'Capacity model beside the runs above (model: per-operation costs x the run; sends/s: the cores the rest of the machine left / CPU per send of nodes + PostgreSQL + Redis + load generator)',
    table([['check', 'model', 'measured', 'measured/model'], ...checks.map((x) => [x.name, x.model, x.measured, x.ratio])]),
    '',
    `Capacity model projections (100 messages/user/day, peak 3x the day's average, 80% direct / 15% groups of 8 / 5% groups of 50, 30% online; nodes of ${DEFAULT_DEPLOYMENT.cores_per_node} cores at ${DEFAULT_DEPLOYMENT.target_utilisation * 100}%, ${fmt(DEFAULT_DEPLOYMENT.max_sockets_per_node)} sockets per node, PostgreSQL primary of ${DEFAULT_DEPLOYMENT.pg_max_cores} cores, one Redis core)`,
    table([
      [
        'workload',
        'sends/s',
        'pushes/s',
        'group copies/s',
        'sockets',
        'nodes',
        'node cores',
        'pg cores',
        'pg trips/s',
        'pg rows/s',
        'redis cmds/s',
        'redis MB/s',
        'redis cores',
        'redis MB',
        'first bottleneck',
        'users at its ceiling',
      ],
      ...projections.map((p) => [
        p.workload,
        fmt(p.sends_per_s),
        fmt(p.pushes_per_s),
        fmt(p.group_copies_per_s),
        fmt(p.online_sockets),
        `${p.nodes} (${p.nodes_for})`,
        fmt(p.node_cores, 1),
        fmt(p.pg_cores, 2),
        fmt(p.pg_trips_per_s),
        fmt(p.pg_row_writes_per_s),
        fmt(p.redis_commands_per_s),
        fmt(p.redis_mb_per_s, 1),
        fmt(p.redis_cores, 2),
        fmt(p.redis_memory_mb, 1),
        `${p.bottleneck} ${fmt(p.bottleneck_utilisation * 100, 1)}%`,
        fmt(p.users_at_ceiling),
      ]),
    ]),
  ];
  return out;
}
