// The capacity model of docs/capacity.md: measured per-operation costs times a workload give the
// nodes, cores, PostgreSQL and Redis a deployment needs, and which shared resource runs out first.
// Pure: no I/O, so it is unit-tested (test/bench/capacity-model.test.ts) and reused by the bench to
// check itself against the runs it just measured.

/** What one operation costs, wherever it lands. */
export interface OpCost {
  /** CPU of the Whispr node(s) handling it. */
  node_cpu_us: number;
  /** CPU of the PostgreSQL backends serving those nodes. */
  pg_cpu_us: number;
  /** Statements sent to PostgreSQL (each a round trip). */
  pg_trips: number;
  redis_commands: number;
  /** Bytes into and out of Redis (commands, replies, pub/sub messages). */
  redis_bytes: number;
  /** CPU of Redis (its INFO used_cpu_user + used_cpu_sys). */
  redis_cpu_us: number;
}

/** Redis' share of one operation. */
export type PubSubCost = Pick<OpCost, 'redis_commands' | 'redis_bytes' | 'redis_cpu_us'>;

/** What one open, idle push socket costs. */
export interface IdleSocketCost {
  /** Node memory: V8 heap used + external after a full GC (the kernel's socket buffers are not in it). */
  node_kb: number;
  /** Redis used_memory (the node's subscription to the user's channel). */
  redis_kb: number;
  /** Per second of idling: node CPU, PostgreSQL statements and Redis commands (the node's periodic sweep). */
  node_cpu_us_per_s: number;
  pg_trips_per_s: number;
  redis_commands_per_s: number;
}

export interface MeasuredCosts {
  /** Accepting one signed direct message (verify, replay check, store, publish the wake-up). */
  send: OpCost;
  /** Delivering one stored direct message to a socket (wake-up, lease, write, remove). */
  push: OpCost;
  idle_socket: IdleSocketCost;
  /** One PUBLISH delivered to one subscribed node (a group copy's Redis share). */
  publish: PubSubCost;
  /** What a node with nothing to do costs per second (timers, its sweep, Redis liveness). */
  node_idle: { cpu_us_per_s: number; pg_trips_per_s: number; redis_commands_per_s: number };
}

export interface Workload {
  name: string;
  users: number;
  messages_per_user_per_day: number;
  /** Peak-hour rate / day-average rate. */
  peak_factor: number;
  /** Share of messages by conversation size (members, the sender included): 2 = a direct message. Shares sum to 1. */
  group_mix: { members: number; share: number }[];
  /** Share of users holding an idle push socket at the peak. */
  online_fraction: number;
}

/** The machines one plans with, and how full one lets them run. */
export interface Deployment {
  cores_per_node: number;
  /** Node memory one gives to sockets (the rest: runtime, buffers, spikes). */
  socket_memory_mb_per_node: number;
  /** Sockets per node process (Whispr's max_websocket_connections: 10,000 by default). */
  max_sockets_per_node: number;
  /** Cores of the one PostgreSQL primary (it does not scale out: every node writes to it). */
  pg_max_cores: number;
  /** Share of a resource one plans to use at the peak (e.g. 0.6). */
  target_utilisation: number;
}

export const DEFAULT_DEPLOYMENT: Deployment = {
  cores_per_node: 4,
  socket_memory_mb_per_node: 4096,
  max_sockets_per_node: 10_000,
  pg_max_cores: 32,
  target_utilisation: 0.6,
};

/** The shared resources that do not grow with more nodes: one Redis (single-threaded), one PostgreSQL primary. */
export type SharedResource = 'redis' | 'postgres';

export interface Projection {
  workload: string;
  /** Peak rates: messages sent, direct messages delivered, group copies delivered. */
  sends_per_s: number;
  pushes_per_s: number;
  group_copies_per_s: number;
  online_sockets: number;
  node_cores: number;
  /** Nodes needed and what decided it (CPU, or sockets per node). */
  nodes: number;
  nodes_for: 'cpu' | 'sockets';
  pg_cores: number;
  pg_trips_per_s: number;
  /** Rows PostgreSQL writes per second: each send inserts one, each direct delivery deletes one. */
  pg_row_writes_per_s: number;
  redis_commands_per_s: number;
  redis_mb_per_s: number;
  /** Share of one core (Redis runs commands on one thread). */
  redis_cores: number;
  redis_memory_mb: number;
  /** The shared resource closest to its ceiling, its use of that ceiling at the peak, and the users at which it reaches target_utilisation. */
  bottleneck: SharedResource;
  bottleneck_utilisation: number;
  users_at_ceiling: number;
  /** Every shared resource's use of its ceiling at the peak. */
  utilisation: Record<SharedResource, number>;
}

function checkMix(mix: Workload['group_mix']): number {
  const shares = mix.reduce((sum, m) => sum + m.share, 0);
  if (mix.length === 0 || shares <= 0) throw new Error('group_mix needs at least one entry with a share');
  for (const m of mix) if (m.members < 2 || m.share < 0) throw new Error(`group_mix: members must be >= 2 and share >= 0 (got ${m.members}, ${m.share})`);
  return shares;
}

/** Per message sent, weighted by the mix: direct deliveries (members 2) and group copies (members - 1 each). */
export function deliveriesPerMessage(mix: Workload['group_mix']): { direct: number; group_copies: number } {
  const shares = checkMix(mix);
  let direct = 0;
  let copies = 0;
  for (const m of mix) {
    if (m.members === 2) direct += m.share;
    else copies += m.share * (m.members - 1);
  }
  return { direct: direct / shares, group_copies: copies / shares };
}

/** Peak sends/s, direct pushes/s and group copies/s of a workload. */
export function peakRates(w: Workload): { sends_per_s: number; pushes_per_s: number; group_copies_per_s: number } {
  const sends = ((w.users * w.messages_per_user_per_day) / 86_400) * w.peak_factor;
  const per = deliveriesPerMessage(w.group_mix);
  return { sends_per_s: sends, pushes_per_s: sends * per.direct, group_copies_per_s: sends * per.group_copies };
}

/**
 * A group copy: a group message is stored once (one send) and published to each member's channel,
 * which the member's node writes to its sockets; no row per member. The node's share is costed as a
 * push's (an upper bound: no lease and delete), PostgreSQL's as nothing, Redis' as one measured
 * pub/sub delivery (a direct push's publish is the send's).
 */
export function groupCopyCost(push: OpCost, publish: PubSubCost): OpCost {
  return { node_cpu_us: push.node_cpu_us, pg_cpu_us: 0, pg_trips: 0, ...publish };
}

/**
 * What a workload needs at its peak. Every direct message is delivered once: as a push, or fetched
 * later over /inbox, which costs about the same (a lease and a delete).
 */
export function project(costs: MeasuredCosts, w: Workload, d: Deployment = DEFAULT_DEPLOYMENT): Projection {
  const { sends_per_s, pushes_per_s, group_copies_per_s } = peakRates(w);
  const sockets = w.users * w.online_fraction;
  const { send, push, idle_socket: idle } = costs;
  const copy = groupCopyCost(push, costs.publish);
  const perSecond = (pick: (c: OpCost) => number) => sends_per_s * pick(send) + pushes_per_s * pick(push) + group_copies_per_s * pick(copy);
  const loadCores = (perSecond((c) => c.node_cpu_us) + sockets * idle.node_cpu_us_per_s) / 1e6;
  const base = costs.node_idle.cpu_us_per_s / 1e6;
  // Each node first spends its idle cost, then the load shares what is left of its target.
  const byCpu = Math.ceil(loadCores / Math.max(d.cores_per_node * d.target_utilisation - base, 1e-9));
  const socketsPerNode = Math.min(d.max_sockets_per_node, Math.floor((d.socket_memory_mb_per_node * 1024) / Math.max(idle.node_kb, 1e-9)));
  const bySockets = Math.ceil(sockets / Math.max(socketsPerNode, 1));
  const nodes = Math.max(1, byCpu, bySockets);
  const pgCores = perSecond((c) => c.pg_cpu_us) / 1e6;
  const redisCores = perSecond((c) => c.redis_cpu_us) / 1e6;
  const utilisation: Record<SharedResource, number> = {
    redis: redisCores / 1,
    postgres: pgCores / d.pg_max_cores,
  };
  const bottleneck: SharedResource = utilisation.redis >= utilisation.postgres ? 'redis' : 'postgres';
  const used = utilisation[bottleneck];
  return {
    workload: w.name,
    sends_per_s,
    pushes_per_s,
    group_copies_per_s,
    online_sockets: sockets,
    node_cores: loadCores + nodes * base,
    nodes,
    nodes_for: bySockets > byCpu ? 'sockets' : 'cpu',
    pg_cores: pgCores,
    pg_trips_per_s: perSecond((c) => c.pg_trips) + sockets * idle.pg_trips_per_s + nodes * costs.node_idle.pg_trips_per_s,
    pg_row_writes_per_s: sends_per_s + pushes_per_s,
    redis_commands_per_s: perSecond((c) => c.redis_commands) + sockets * idle.redis_commands_per_s + nodes * costs.node_idle.redis_commands_per_s,
    redis_mb_per_s: perSecond((c) => c.redis_bytes) / 1e6,
    redis_cores: redisCores,
    redis_memory_mb: (sockets * idle.redis_kb) / 1024,
    bottleneck,
    bottleneck_utilisation: used,
    // Linear in users: the load of every resource is.
    users_at_ceiling: used > 0 ? Math.floor((w.users * d.target_utilisation) / used) : Number.POSITIVE_INFINITY,
    utilisation,
  };
}

/**
 * Sends/s one machine of `cores` sustains when the nodes, PostgreSQL, Redis and the load generator
 * share it (the bench's setting), from the CPU each spends per send: the model's check against the
 * runs measured here.
 */
export function sendsPerSecondOnOneMachine(cost: OpCost & { loadgen_cpu_us: number }, cores: number): number {
  const perSend = cost.node_cpu_us + cost.pg_cpu_us + cost.redis_cpu_us + cost.loadgen_cpu_us;
  return perSend > 0 ? (cores * 1e6) / perSend : 0;
}

/** Example workloads printed by the bench and worked through in docs/capacity.md. */
export const EXAMPLE_WORKLOADS: Workload[] = [10_000, 100_000, 1_000_000].map((users) => ({
  name: `${users.toLocaleString('en-US')} users`,
  users,
  messages_per_user_per_day: 100,
  peak_factor: 3,
  group_mix: [
    { members: 2, share: 0.8 },
    { members: 8, share: 0.15 },
    { members: 50, share: 0.05 },
  ],
  online_fraction: 0.3,
}));
