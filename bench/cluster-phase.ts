// The cluster phase: Whispr in cluster mode (PostgreSQL + Redis) with one node, then with three
// nodes, on this machine (the nodes, PostgreSQL, Redis and this load generator share its cores).
// Per topology: signed /send throughput spread round-robin over the nodes, and send-to-push latency
// at a fixed rate with the recipients' sockets on the sender's node and on another node; on one node,
// what idle push sockets cost. Every span is metered (cluster-meter.ts): the capacity model's
// per-operation costs come from these runs (cluster-costs.ts, docs/capacity.md).
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { Redis } from 'ioredis';
import { type Identity, WhisprClient, toHex } from 'whispr-sdk';
import type { BodyPool } from './bodies.js';
import { startServerChild, type ServerChild } from './child.js';
import type { BenchConfig } from './config.js';
import { availableParallelism } from 'node:os';
import { EXAMPLE_WORKLOADS, project, type MeasuredCosts, type Projection } from './capacity-model.js';
import { measuredCosts, modelChecks, type ModelCheck } from './cluster-costs.js';
import { measurePublishCost, type PublishCost } from './redis-publish.js';
import { measureIdleSockets, type IdleSocketsResult } from './cluster-idle.js';
import { cpuShares, startMeter, total, type ClusterCpu, type MeteredTopology, type SpanUsage } from './cluster-meter.js';
import { DeliveryTally, signatureFrames, type DeliveryFigures } from './delivery-tally.js';
import { settledQueuedMessages } from './health.js';
import { BodyCursor, runLoad, type LoadResult } from './load.js';
import { round } from './stats.js';
import { createBenchSchema } from './pg-bench-schema.js';
import { postgresAnswers, redisAnswers } from '../test/support/services.js';
import { deleteRedisKeys } from '../test/support/redis-keys.js';

const NODE = new URL('./cluster-node-process.ts', import.meta.url);
/** Publishes of the pub/sub measurement (well under a second on this machine). */
const PUBLISHES = 20_000;

export interface ClusterSendResult extends LoadResult, ClusterCpu {
  warmup_rps: number;
  /** 2xx answers over warm-up and run. */
  accepted: number;
  /** Rows in the shared inbox afterwards (every accepted send stored once: = accepted, at most accepted + in flight). */
  stored: number;
  /** CPU time of all nodes per 2xx answer (PostgreSQL and Redis not included). */
  nodes_cpu_us_per_req: number | null;
  /** CPU time of nodes + PostgreSQL + Redis per 2xx answer. */
  backend_cpu_us_per_req: number | null;
  /** CPU time of every postgres process of the machine per 2xx answer (other users of that PostgreSQL included). */
  postgres_cpu_us_per_req: number | null;
  /** CPU time of the PostgreSQL backends of the nodes' own connections per 2xx answer. */
  pg_backends_cpu_us_per_req: number | null;
  /** Statements the nodes sent PostgreSQL (each a round trip) per 2xx answer. */
  pg_round_trips_per_req: number | null;
  /** Redis commands, bytes in + out and CPU (INFO used_cpu_*) per 2xx answer (deltas of the whole Redis: other users of it count too). */
  redis_commands_per_req: number | null;
  redis_bytes_per_req: number | null;
  redis_cpu_us_per_req: number | null;
  /** CPU of this load generator per 2xx answer (the model's check on one machine counts it). */
  loadgen_cpu_us_per_req: number | null;
  /** The run's raw deltas. */
  usage: SpanUsage;
}

export interface ClusterLatencyResult extends DeliveryFigures {
  /** 'same-node' (sockets on the node the sends go to) or 'cross-node' (sockets on another node). */
  path: 'same-node' | 'cross-node';
  rate_per_s: number;
  sockets: number;
  sent: number;
  accepted: number;
  /** Accepted sends never pushed after the drain wait (should be 0). */
  lost: number;
  left_queued: number;
  /** Deltas from the measured window's start to the end of its drain (per node: the sender is node 1, the sockets' node pushes). */
  usage: SpanUsage;
}

export interface ClusterRun {
  nodes: number;
  send: ClusterSendResult;
  latency: ClusterLatencyResult[];
  /** Measured on the one-node topology only. */
  idle?: IdleSocketsResult;
}

export interface ClusterPhaseResult {
  /** Why the phase did not run (PostgreSQL or Redis not reachable). */
  skipped?: string;
  single?: ClusterRun;
  multi?: ClusterRun;
  /** 3-node / 1-node signed sends per second. */
  ratio: number | null;
  rounds?: { round: number; nodes: number; rps: number; p99_ms: number; nodes_cpu_us_per_req: number | null; other_cpu_pct: number | null }[];
  /** The capacity model's inputs from these runs (docs/capacity.md), its check against them, and example projections. */
  /** One pub/sub delivery on this Redis (a group copy's Redis share). */
  publish?: PublishCost;
  costs?: MeasuredCosts;
  model_checks?: ModelCheck[];
  projections?: Projection[];
}

interface Topology extends MeteredTopology {
  schema: string;
  stop(): Promise<void>;
}

/** `count` nodes on a fresh schema and Redis prefix; stop() removes both. */
async function startTopology(
  cfg: BenchConfig,
  count: number,
  childEnv: Record<string, string>,
  cpuProfDir: string | undefined,
  log: (line: string) => void,
): Promise<Topology> {
  const prefix = `wb${randomBytes(5).toString('hex')}:`;
  const schema = await createBenchSchema(cfg.clusterDatabaseUrl);
  // Named after the schema and the node, the nodes' connections tell the run which PostgreSQL backends are whose.
  const applicationName = (index: number) => `${schema.name}_n${index + 1}`;
  const databaseUrl = (index: number) => {
    const url = new URL(schema.url);
    url.searchParams.set('application_name', applicationName(index));
    return url.toString();
  };
  const redis = new Redis(cfg.clusterRedisUrl, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  const env = {
    ...childEnv,
    BENCH_CLUSTER_REDIS_URL: cfg.clusterRedisUrl,
    BENCH_CLUSTER_REDIS_PREFIX: prefix,
    BENCH_CLUSTER_JWT_SECRET: randomBytes(32).toString('hex'),
  };
  const nodes: ServerChild[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await schema.drop();
    redis.disconnect();
    await deleteRedisKeys(cfg.clusterRedisUrl, prefix);
  };
  try {
    // One after the other: the first one migrates the schema, the others find it done.
    for (let i = 0; i < count; i++) {
      const node = await startServerChild(NODE, {
        name: `cluster${count}-node${i + 1}`,
        env: { ...env, BENCH_CLUSTER_DATABASE_URL: databaseUrl(i) },
        // The idle-socket run reads the node's memory after a full collection.
        nodeFlags: ['--expose-gc'],
        ...(cpuProfDir === undefined ? {} : { cpuProfDir }),
      });
      nodes.push(node);
      log(`cluster${count}: node ${i + 1} pid ${node.pid} at ${node.url}`);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    nodes,
    schema: schema.name,
    applicationName,
    redis,
    sql: schema.sql,
    stop,
  };
}

/** Signed /send over `connections` connections spread round-robin over every node (autocannon, one URL per node). */
async function measureClusterSend(topology: Topology, pool: BodyPool, cfg: BenchConfig, log: (line: string) => void): Promise<ClusterSendResult> {
  const urls = topology.nodes.map((n) => n.url);
  const cursor = new BodyCursor(pool);
  let warmupRps = 0;
  let warmupOk = 0;
  if (cfg.warmupSeconds > 0) {
    const warm = await runLoad({ url: urls, path: '/send', connections: cfg.connections, seconds: cfg.warmupSeconds, cursor });
    warmupRps = warm.rps;
    warmupOk = warm.ok;
    log(`  warm-up: ${warm.rps} req/s, p99 ${warm.p99_ms} ms${warm.non2xx > 0 ? `, ${warm.non2xx} non-2xx: ${warm.error_samples.join(' | ')}` : ''}`);
  }
  const generated = await pool.growTo(cursor.used + Math.ceil(Math.max(warmupRps, 1000) * 1.5 * cfg.seconds) + 2 * cfg.connections);
  if (generated > 0) log(`  built ${generated} more bodies (pool ${pool.size})`);
  const stop = await startMeter(topology);
  const run = await runLoad({ url: urls, path: '/send', connections: cfg.connections, seconds: cfg.seconds, cursor });
  const usage = await stop();
  const [stored] = await topology.sql<{ n: string }>(`SELECT count(*) AS n FROM ${topology.schema}.inbox_messages`);
  const accepted = warmupOk + run.ok;
  const nodes = total(usage.node_cpu_s);
  const per = (value: number | null, scale = 1e6) => (value === null || run.ok === 0 ? null : Math.round((value * scale) / run.ok));
  return {
    ...run,
    ...cpuShares(usage),
    warmup_rps: warmupRps,
    accepted,
    stored: Number(stored?.n ?? 0),
    nodes_cpu_us_per_req: per(nodes),
    backend_cpu_us_per_req: per(nodes === null ? null : nodes + (usage.postgres_cpu_s ?? 0) + usage.redis.cpu_s),
    postgres_cpu_us_per_req: per(usage.postgres_cpu_s),
    pg_backends_cpu_us_per_req: per(total(usage.pg_backend_cpu_s)),
    pg_round_trips_per_req: run.ok === 0 ? null : round(total(usage.pg_trips)! / run.ok, 2),
    redis_commands_per_req: run.ok === 0 ? null : round(usage.redis.commands / run.ok, 2),
    redis_bytes_per_req: per(usage.redis.net_in_bytes + usage.redis.net_out_bytes, 1),
    redis_cpu_us_per_req: per(usage.redis.cpu_s),
    loadgen_cpu_us_per_req: per(usage.loadgen_cpu_s),
    usage,
  };
}

/**
 * `rate` signed sends per second to node `to` (keep-alive node:http, paced every 10 ms), with the
 * recipients' push sockets on node `on`: warm-up, measured window, then up to 10 s for the last frames.
 */
async function measureLatency(options: {
  topology: Topology;
  path: ClusterLatencyResult['path'];
  to: ServerChild;
  on: ServerChild;
  pool: BodyPool;
  cursor: BodyCursor;
  recipients: { identity: Identity; token: string }[];
  rate: number;
  warmupSeconds: number;
  seconds: number;
}): Promise<ClusterLatencyResult> {
  const { pool, cursor, rate } = options;
  const tally = new DeliveryTally(
    1,
    () => pool.size,
    (index) => cursor.sentAt[index],
  );
  const onFrame = signatureFrames(tally, pool.bySignature);
  const wsBase = options.on.url.replace(/^http/, 'ws');
  const sockets = await Promise.all(options.recipients.map((r) => tally.openPushSocket(wsBase, toHex(r.identity.encryption.publicKey), r.token, onFrame)));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const target = new URL('/send', options.to.url);
  let accepted = 0;
  let sent = 0;
  const post = (body: Buffer) =>
    new Promise<void>((resolve) => {
      const req = http.request(target, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
        if (res.statusCode === 200) accepted++;
        res.resume();
        res.on('end', () => resolve());
      });
      req.on('error', () => resolve());
      req.end(body);
    });
  const paced = async (seconds: number) => {
    const inFlight = new Set<Promise<void>>();
    const start = performance.now();
    let issued = 0;
    while (performance.now() - start < seconds * 1000) {
      const due = Math.floor(((performance.now() - start) / 1000) * rate) - issued;
      for (let i = 0; i < due; i++) {
        const p = post(cursor.take());
        inFlight.add(p);
        void p.then(() => inFlight.delete(p));
      }
      issued += Math.max(0, due);
      await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.all(inFlight);
    return issued;
  };
  try {
    if (options.warmupSeconds > 0) await paced(options.warmupSeconds);
    await pool.growTo(cursor.used + Math.ceil(rate * options.seconds * 1.2) + 100);
    tally.measureFrom = cursor.used;
    accepted = 0;
    const stop = await startMeter(options.topology);
    tally.windowStart = performance.now();
    sent = await paced(options.seconds);
    tally.windowEnd = performance.now();
    const deadline = performance.now() + 10_000;
    while (performance.now() < deadline && tally.measured < accepted) await new Promise((r) => setTimeout(r, 50));
    const usage = await stop();
    const figures = tally.figures();
    return {
      ...figures,
      path: options.path,
      rate_per_s: rate,
      sockets: sockets.length,
      sent,
      accepted,
      lost: Math.max(0, accepted - figures.delivered),
      left_queued: await settledQueuedMessages(options.to.url),
      usage,
    };
  } finally {
    agent.destroy();
    for (const ws of sockets) ws.terminate();
  }
}

async function runTopology(
  cfg: BenchConfig,
  count: number,
  pools: { send: BodyPool; push: BodyPool; recipients: Identity[] },
  options: { childEnv: Record<string, string>; cpuProfDir: string | undefined; log: (line: string) => void },
): Promise<ClusterRun> {
  const { log } = options;
  const topology = await startTopology(cfg, count, options.childEnv, options.cpuProfDir, log);
  try {
    const [first, second] = [topology.nodes[0]!, topology.nodes[1]];
    // Tokens from the first node; with one jwt_secret every node accepts them.
    const recipients = await Promise.all(
      pools.recipients.map(async (identity) => ({ identity, token: await new WhisprClient({ baseUrl: first.url, identity }).authenticate('x25519') })),
    );
    // Latency first, on an empty inbox (the throughput run leaves its messages queued: no sockets).
    const cursor = new BodyCursor(pools.push);
    const latency: ClusterLatencyResult[] = [];
    const paths: [ClusterLatencyResult['path'], ServerChild][] = [
      ['same-node', first],
      ...(second === undefined ? [] : [['cross-node', second] as [ClusterLatencyResult['path'], ServerChild]]),
    ];
    for (const [path, on] of paths) {
      const result = await measureLatency({
        topology,
        path,
        to: first,
        on,
        pool: pools.push,
        cursor,
        recipients,
        rate: cfg.clusterRate,
        warmupSeconds: cfg.warmupSeconds,
        seconds: cfg.seconds,
      });
      log(
        `  ${count} node(s), ${path}: ${result.accepted} sends at ${result.rate_per_s}/s, p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms, lost ${result.lost}, dup ${result.duplicate_frames}, left queued ${result.left_queued}`,
      );
      latency.push(result);
    }
    // Idle sockets on an empty inbox (before the throughput run fills it), once: on the one-node topology.
    const idle = count === 1 && cfg.clusterIdleSockets > 0 ? await measureIdleSockets(topology, cfg.clusterIdleSockets, log) : undefined;
    const send = await measureClusterSend(topology, pools.send, cfg, log);
    log(
      `  ${count} node(s): ${send.rps} sends/s, p50 ${send.p50_ms} ms, p99 ${send.p99_ms} ms, stored ${send.stored}/${send.accepted}, cpu% nodes/pg/redis/gen/other ${send.nodes_cpu_pct}/${send.postgres_cpu_pct}/${send.redis_cpu_pct}/${send.loadgen_cpu_pct}/${send.other_cpu_pct}`,
    );
    return { nodes: count, send, latency, ...(idle === undefined ? {} : { idle }) };
  } finally {
    await topology.stop();
  }
}

export async function measureClusterPhase(
  cfg: BenchConfig,
  pools: { send: BodyPool; push: BodyPool; recipients: Identity[] },
  options: { childEnv: Record<string, string>; cpuProfDir: string | undefined; log: (line: string) => void },
): Promise<ClusterPhaseResult> {
  const postgres = await postgresAnswers(cfg.clusterDatabaseUrl);
  const redis = await redisAnswers(cfg.clusterRedisUrl);
  if (!postgres || !redis) {
    const skipped = `${postgres ? '' : `PostgreSQL at ${cfg.clusterDatabaseUrl} `}${redis ? '' : `Redis at ${cfg.clusterRedisUrl} `}did not answer (BENCH_CLUSTER_DATABASE_URL, BENCH_CLUSTER_REDIS_URL)`;
    options.log(`cluster phase skipped: ${skipped}`);
    return { skipped, ratio: null };
  }
  const runs: Record<'single' | 'multi', ClusterRun[]> = { single: [], multi: [] };
  const rounds: NonNullable<ClusterPhaseResult['rounds']> = [];
  for (let n = 1; n <= cfg.rounds; n++) {
    const order = n % 2 === 1 ? [1, cfg.clusterNodes] : [cfg.clusterNodes, 1];
    for (const count of order) {
      const run = await runTopology(cfg, count, pools, options);
      runs[count === 1 ? 'single' : 'multi'].push(run);
      rounds.push({
        round: n,
        nodes: count,
        rps: run.send.rps,
        p99_ms: run.send.p99_ms,
        nodes_cpu_us_per_req: run.send.nodes_cpu_us_per_req,
        other_cpu_pct: run.send.other_cpu_pct,
      });
    }
  }
  const median = (list: ClusterRun[]) => [...list].sort((a, b) => a.send.rps - b.send.rps)[Math.floor((list.length - 1) / 2)];
  const single = median(runs.single);
  const multi = median(runs.multi);
  const result: ClusterPhaseResult = {
    ratio: single !== undefined && multi !== undefined && single.send.rps > 0 ? round(multi.send.rps / single.send.rps, 3) : null,
  };
  if (single !== undefined) result.single = single;
  if (multi !== undefined) result.multi = multi;
  if (cfg.rounds > 1) result.rounds = rounds;
  result.publish = await measurePublishCost(cfg.clusterRedisUrl, `wb${randomBytes(5).toString('hex')}:`, PUBLISHES, pools.send.averageBytes);
  options.log(
    `  Redis: ${result.publish.redis_cpu_us} us of CPU and ${result.publish.redis_bytes} bytes per delivered PUBLISH of ${result.publish.message_bytes} bytes`,
  );
  const costs = measuredCosts(result);
  if (costs !== undefined) {
    result.costs = costs;
    result.model_checks = modelChecks(result, costs, availableParallelism());
    result.projections = EXAMPLE_WORKLOADS.map((w) => project(costs, w));
  }
  return result;
}
