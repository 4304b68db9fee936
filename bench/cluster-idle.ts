// What an open, idle push socket costs a cluster node and Redis: memory (node RSS after a full GC,
// Redis used_memory: the node subscribes to the user's channel) and, per second of idling, node CPU,
// PostgreSQL statements and Redis commands (the node's periodic sweep of its sockets' queues).
import type WebSocket from 'ws';
import { WhisprClient, toHex } from 'whispr-sdk';
import { generateIdentities } from './bodies.js';
import { redisCounters, startMeter, total, type MeteredTopology, type SpanUsage } from './cluster-meter.js';
import { residentKb } from './rooms-memory.js';
import { closeAll, forEachLimited, openSocket, sleep } from './rooms-wire.js';
import { round } from './stats.js';

/** Idle spans before and after the sockets open: two of the cluster's 5-second sweeps each. */
const IDLE_SECONDS = 10;

export interface IdleSocketsResult {
  sockets: number;
  idle_seconds: number;
  /** Seconds to open them all (one identity and token each). */
  connect_seconds: number;
  node_rss_before_kb: number;
  node_rss_after_kb: number;
  node_kb_per_socket: number;
  /** V8 heap used + external memory per socket, after the same collections (RSS moves in pages and arenas; this does not). */
  node_heap_kb_per_socket: number;
  /** Redis used_memory change per socket (other users of this Redis count too). */
  redis_kb_per_socket: number;
  /** Per socket and second of idling, beyond what the node did with no sockets. */
  node_cpu_us_per_socket_s: number | null;
  pg_trips_per_socket_s: number;
  redis_commands_per_socket_s: number;
  usage_without: SpanUsage;
  usage_with: SpanUsage;
}

async function idleSpan(topology: MeteredTopology): Promise<SpanUsage> {
  const stop = await startMeter(topology);
  await sleep(IDLE_SECONDS * 1000);
  return stop();
}

/** Opens `count` push sockets on the first node (one fresh identity each) and measures them idling. */
export async function measureIdleSockets(topology: MeteredTopology, count: number, log: (line: string) => void): Promise<IdleSocketsResult> {
  const node = topology.nodes[0]!;
  const identities = generateIdentities(count);
  const tokens: string[] = [];
  await forEachLimited(count, 16, async (i) => {
    tokens[i] = await new WhisprClient({ baseUrl: node.url, identity: identities[i]! }).authenticate('x25519');
  });
  const heap = (m: { usage: NodeJS.MemoryUsage }) => m.usage.heapUsed + m.usage.external;
  const heapBefore = heap(await node.collect());
  const rssBefore = residentKb(node.pid);
  const redisBefore = (await redisCounters(topology.redis)).used_memory_bytes;
  const without = await idleSpan(topology);
  const wsBase = node.url.replace(/^http/, 'ws');
  const sockets: WebSocket[] = [];
  const started = performance.now();
  try {
    await forEachLimited(count, 50, async (i) => {
      const address = toHex(identities[i]!.encryption.publicKey);
      sockets.push(await openSocket(`${wsBase}/ws/${address}?token=${encodeURIComponent(tokens[i]!)}`, { timeoutMs: 10_000 }));
    });
    const connectSeconds = (performance.now() - started) / 1000;
    // Let the attaches' first queue reads and subscriptions finish before reading memory.
    await sleep(1000);
    const heapAfter = heap(await node.collect());
    const rssAfter = residentKb(node.pid);
    const redisAfter = (await redisCounters(topology.redis)).used_memory_bytes;
    const withSockets = await idleSpan(topology);
    const perSocketSecond = (a: number | null, b: number | null, scale = 1) =>
      a === null || b === null ? null : round(((b - a) * scale) / (count * IDLE_SECONDS), 4);
    const result: IdleSocketsResult = {
      sockets: count,
      idle_seconds: IDLE_SECONDS,
      connect_seconds: round(connectSeconds, 2),
      node_rss_before_kb: rssBefore,
      node_rss_after_kb: rssAfter,
      node_kb_per_socket: round((rssAfter - rssBefore) / count, 2),
      node_heap_kb_per_socket: round((heapAfter - heapBefore) / 1024 / count, 2),
      redis_kb_per_socket: round((redisAfter - redisBefore) / 1024 / count, 3),
      node_cpu_us_per_socket_s: perSocketSecond(without.node_cpu_s[0] ?? null, withSockets.node_cpu_s[0] ?? null, 1e6),
      pg_trips_per_socket_s: perSocketSecond(total(without.pg_trips), total(withSockets.pg_trips)) ?? 0,
      redis_commands_per_socket_s: perSocketSecond(without.redis.commands, withSockets.redis.commands) ?? 0,
      usage_without: without,
      usage_with: withSockets,
    };
    log(
      `  1 node, ${count} idle push sockets: ${result.node_kb_per_socket} KB node RSS (${result.node_heap_kb_per_socket} KB heap + external) and ${result.redis_kb_per_socket} KB Redis per socket, ${result.node_cpu_us_per_socket_s} us node CPU per socket-second, opened in ${result.connect_seconds} s`,
    );
    return result;
  } finally {
    await closeAll(sockets);
  }
}
