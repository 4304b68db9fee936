// npm run bench: signed /send throughput and latency (Whispr vs a bare node:http baseline and the
// original Python server's CPU per send), WebSocket
// push rate, group send/fetch/push, rooms fan-out and memory per socket (Whispr vs bare ws), /signal
// relaying, chat-app events (Whispr vs a bare node:http + ws + SQLite baseline, then group events
// fanned out to every member), cluster mode (one node vs three on PostgreSQL + Redis, cross-node
// push latency), and group sends and chat events on PostgreSQL beside the embedded node (pg-features).
// Servers run in child processes; this process is the load generator. See bench/README.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { BodyPool, generateIdentities } from './bodies.js';
import { killAllChildren, withServerChild, type ServerChild } from './child.js';
import { measureClusterPhase } from './cluster-phase.js';
import { benchConfig } from './config.js';
import { measureEventsPhase } from './events-phase.js';
import { measurePgFeaturesPhase } from './pg-features-phase.js';
import { measureGroupOn } from './group-load.js';
import { killOriginal, type OriginalServer, type OriginalSetup, originalSetup, startOriginalServer } from './original-server.js';
import { reexecWithOpenFiles } from './open-files.js';
import { measurePush } from './push-rate.js';
import { evaluateGoals, renderReport, type BenchResults, type SendServer } from './report.js';
import { measureRooms, roomsOpenFilesNeeded } from './rooms-phase.js';
import { METRICS_TOKEN } from './health.js';
import { measureSend, type SendPhaseResult } from './send-load.js';
import { measureSignal } from './signal-relay.js';
import { round } from './stats.js';

const WHISPR = new URL('./whispr-server-process.ts', import.meta.url);
const BARE = new URL('./bare-server.ts', import.meta.url);
const RESULTS_DIR = new URL('./results/', import.meta.url);

const log = (line: string) => process.stderr.write(`${line}\n`);

process.once('exit', () => {
  killAllChildren();
  killOriginal();
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAllChildren();
    killOriginal();
    process.exit(130);
  });
}

const withServer = <T>(entry: URL, name: string, env: Record<string, string>, cpuProfDir: string | undefined, body: (server: ServerChild) => Promise<T>) =>
  withServerChild(entry, { name, env, cpuProfDir, log }, body);

/** The original Python server for the length of `body`; stopped (and its Redis keys and files removed) afterwards. */
async function withOriginal<T>(setup: OriginalSetup, body: (server: OriginalServer) => Promise<T>): Promise<T> {
  const server = await startOriginalServer(setup);
  log(`original: pid ${server.pid} at ${server.url} (${setup.dir}, ${setup.redisUrl === undefined ? 'memory mode' : `Redis ${setup.redisUrl}`})`);
  try {
    return await body(server);
  } finally {
    await server.stop();
  }
}

/** The run with the median throughput (the lower middle one for an even count). */
function medianRun(runs: SendPhaseResult[]): SendPhaseResult | undefined {
  return [...runs].sort((a, b) => a.rps - b.rps)[Math.floor((runs.length - 1) / 2)];
}

async function main(): Promise<void> {
  const cfg = benchConfig();
  // The rooms phase opens 10,000 sockets from this process: raise its open-files limit first if needed.
  if (cfg.phases.has('rooms-memory')) {
    const code = await reexecWithOpenFiles(roomsOpenFilesNeeded(cfg), log);
    if (code !== undefined) process.exit(code);
  }
  const cpuProfDir = cfg.cpuProf ? new URL('./profiles/', RESULTS_DIR).pathname : undefined;
  if (cpuProfDir !== undefined) mkdirSync(cpuProfDir, { recursive: true });
  const childEnv: Record<string, string> = { BENCH_LOG_LEVEL: cfg.logLevel, BENCH_BARE_MODE: cfg.bareMode, BENCH_METRICS_TOKEN: METRICS_TOKEN };
  // BENCH_STORAGE=postgres: every Whispr server child (not the cluster's nodes) stores in PostgreSQL.
  if (cfg.storage === 'postgres') childEnv.BENCH_WHISPR_DATABASE_URL = cfg.clusterDatabaseUrl;
  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: availableParallelism(),
    seconds: cfg.seconds,
    warmup_seconds: cfg.warmupSeconds,
    connections: cfg.connections,
    identities: cfg.identities,
    push_recipients: cfg.pushRecipients,
    plaintext_bytes: cfg.plaintextBytes,
    server_log_level: cfg.logLevel,
    bare_mode: cfg.bareMode,
    rounds: cfg.rounds,
    body_bytes: 0,
    group_members: cfg.groupMembers,
    group_fetch_limit: cfg.groupFetchLimit,
    rooms_receivers: cfg.roomsReceivers,
    rooms_window: cfg.roomsWindow,
    rooms_payload_bytes: cfg.roomsPayloadBytes,
    rooms_idle_sockets: cfg.roomsIdleSockets,
    rooms_idle_room_size: cfg.roomsIdleRoomSize,
    rooms_source_addresses: cfg.roomsSourceAddresses,
    signal_pairs: cfg.signalPairs,
    signal_window: cfg.signalWindow,
    event_recipients: cfg.eventRecipients,
    event_payload_bytes: cfg.eventPayloadBytes,
    event_group_members: cfg.eventGroupMembers,
    cluster_nodes: cfg.clusterNodes,
    cluster_rate: cfg.clusterRate,
  };
  log(
    `whispr bench: ${cfg.seconds} s per run (+${cfg.warmupSeconds} s warm-up), ${cfg.connections} connections, ${cfg.identities} identities, node ${process.version}, ${meta.cpus} cpus`,
  );

  let t = performance.now();
  const identities = generateIdentities(cfg.identities);
  const sendPool = new BodyPool(identities, identities, cfg.plaintextBytes);
  const initial = Math.ceil(cfg.poolRps * (cfg.seconds + cfg.warmupSeconds));
  if (cfg.phases.has('send') || cfg.phases.has('bare') || cfg.phases.has('original')) {
    await sendPool.growTo(initial);
    meta.body_bytes = sendPool.averageBytes;
    log(`built ${sendPool.size} distinct signed bodies (~${sendPool.averageBytes} bytes) in ${round((performance.now() - t) / 1000, 1)} s`);
  }

  const results: Omit<BenchResults, 'goals'> = { meta };
  const phase = { url: '', serverPid: 0, connections: cfg.connections, warmupSeconds: cfg.warmupSeconds, seconds: cfg.seconds, log };

  // Whispr, bare and the original alternate (order reversed every other round) so slow drift on a shared machine hits all.
  // The original phase compares with Whispr's run of the same load, so it runs Whispr's too.
  const original = cfg.phases.has('original') ? await originalSetup(cfg.clusterRedisUrl) : undefined;
  if (original !== undefined && 'skipped' in original) log(`original Whispr server: skipped (${original.skipped})`);
  const wanted = (server: SendServer) =>
    server === 'whispr'
      ? cfg.phases.has('send') || original !== undefined
      : server === 'bare'
        ? cfg.phases.has('bare')
        : original !== undefined && !('skipped' in original);
  const runs: Record<SendServer, SendPhaseResult[]> = { whispr: [], bare: [], original: [] };
  const rounds: NonNullable<BenchResults['rounds']> = [];
  for (let n = 1; n <= cfg.rounds; n++) {
    const all: SendServer[] = ['whispr', 'bare', 'original'];
    for (const server of (n % 2 === 1 ? all : all.reverse()).filter(wanted)) {
      const measure = (url: string, serverPid: number, stored?: () => Promise<number>) =>
        measureSend({ ...phase, url, serverPid, pool: sendPool, ...(stored === undefined ? {} : { stored }) });
      const result =
        server === 'original' && original !== undefined && !('skipped' in original)
          ? await withOriginal(original, (s) => measure(s.url, s.pid, s.storedMessages))
          : await withServer(server === 'whispr' ? WHISPR : BARE, server, childEnv, cpuProfDir, (s) => measure(s.url, s.pid));
      log(`  ${server}: ${result.rps} req/s, p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms, ${result.server_cpu_us_per_req} us server CPU/req`);
      runs[server].push(result);
      rounds.push({
        round: n,
        server,
        rps: result.rps,
        p99_ms: result.p99_ms,
        server_cpu_us_per_req: result.server_cpu_us_per_req,
        other_cpu_pct: result.other_cpu_pct,
      });
    }
  }
  results.send = medianRun(runs.whispr);
  results.bare = medianRun(runs.bare);
  if (original !== undefined)
    results.original =
      'skipped' in original ? { skipped: original.skipped } : { mode: original.redisUrl === undefined ? 'memory' : 'redis', run: medianRun(runs.original) };
  if (cfg.rounds > 1 && rounds.length > 0) results.rounds = rounds;
  if (results.send !== undefined && results.bare !== undefined) results.ratio = round(results.send.rps / results.bare.rps, 3);

  if (cfg.phases.has('push')) {
    t = performance.now();
    const recipients = generateIdentities(cfg.pushRecipients);
    const pushPool = new BodyPool(identities, recipients, cfg.plaintextBytes);
    await pushPool.growTo(initial);
    if (meta.body_bytes === 0) meta.body_bytes = pushPool.averageBytes;
    log(`built ${pushPool.size} push bodies to ${cfg.pushRecipients} recipients in ${round((performance.now() - t) / 1000, 1)} s`);
    results.push = await withServer(WHISPR, 'whispr-push', childEnv, cpuProfDir, (s) =>
      measurePush({ ...phase, url: s.url, serverPid: s.pid, pool: pushPool, recipients }),
    );
  }

  if (cfg.phases.has('group')) {
    results.group = await withServer(WHISPR, 'whispr-group', childEnv, cpuProfDir, (s) => measureGroupOn(s, cfg, true, log));
  }

  if (cfg.phases.has('rooms-fanout') || cfg.phases.has('rooms-memory'))
    results.rooms = await measureRooms(cfg, { childEnv, cpuProfDir, profileRoot: new URL('./profiles/', RESULTS_DIR).pathname, log });

  if (cfg.phases.has('signal')) {
    results.signal = await withServer(WHISPR, 'whispr-signal', { ...childEnv, BENCH_WHISPR_SIGNAL: '1' }, cpuProfDir, (s) =>
      measureSignal({
        wsUrl: `${s.url.replace(/^http/, 'ws')}/signal`,
        serverPid: s.pid,
        pairs: cfg.signalPairs,
        window: cfg.signalWindow,
        warmupSeconds: cfg.warmupSeconds,
        seconds: cfg.seconds,
        log,
      }),
    );
    log(
      `  signal: ${results.signal.relayed_per_s} relayed/s, p50 ${results.signal.p50_ms} ms, p99 ${results.signal.p99_ms} ms, lost ${results.signal.lost}, dup ${results.signal.duplicates}`,
    );
  }

  if (cfg.phases.has('events') || cfg.phases.has('events-bare')) {
    results.events = await measureEventsPhase(cfg, { childEnv, cpuProfDir, log });
    if (results.events.ratio !== null) log(`  events whispr/bare delivered/s: ${results.events.ratio}`);
  }

  if (cfg.phases.has('cluster')) {
    t = performance.now();
    await sendPool.growTo(initial);
    if (meta.body_bytes === 0) meta.body_bytes = sendPool.averageBytes;
    const recipients = generateIdentities(cfg.pushRecipients);
    const pushPool = new BodyPool(identities, recipients, cfg.plaintextBytes);
    await pushPool.growTo(Math.ceil(cfg.clusterRate * (cfg.seconds + cfg.warmupSeconds) * 2.5));
    log(`built ${sendPool.size} send bodies and ${pushPool.size} push bodies for the cluster phase in ${round((performance.now() - t) / 1000, 1)} s`);
    results.cluster = await measureClusterPhase(cfg, { send: sendPool, push: pushPool, recipients }, { childEnv, cpuProfDir, log });
    if (results.cluster.ratio !== null) log(`  cluster ${cfg.clusterNodes} nodes / 1 node sends/s: ${results.cluster.ratio}`);
  }

  if (cfg.phases.has('pg-features')) results.pg_features = await measurePgFeaturesPhase(cfg, { childEnv, cpuProfDir, log });

  const final: BenchResults = { ...results, goals: evaluateGoals(results) };
  process.stdout.write(`\n${renderReport(final)}\n\n`);
  const json = JSON.stringify(final);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(new URL('./latest.json', RESULTS_DIR), `${JSON.stringify(final, null, 2)}\n`);
  process.stdout.write(`${json}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    killAllChildren();
    killOriginal();
    process.exit(1);
  },
);
