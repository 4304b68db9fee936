import type WebSocket from 'ws';
import { GroupClient, newGroupKey, WhisprClient } from 'whispr-sdk';
import { generateIdentities } from './bodies.js';
import { DeliveryTally, type DeliveryFigures } from './delivery-tally.js';
import { cpuMeter, type CpuShares } from './cpu.js';
import { pgCostMeter } from './pg-round-trips.js';
import { GroupFetchFeed, GroupSendFeed, GroupSendPool, type BenchMember } from './group-bodies.js';
import { runLoad, type LoadResult } from './load.js';
import type { ServerChild } from './child.js';
import type { BenchConfig } from './config.js';

export interface GroupSendResult extends LoadResult, CpuShares {
  warmup_rps: number;
  /** 2xx answers over warm-up and run. */
  accepted: number;
  /** Messages in the channel afterwards (read back page by page): between `accepted` and the bodies handed out. */
  stored: number;
  bodies_sent: number;
  reused: number;
  server_cpu_us_per_req: number | null;
  /** PostgreSQL round trips of the server, and CPU of its PostgreSQL backends, per 2xx send of the run (on PostgreSQL; null on SQLite). */
  pg_round_trips_per_req: number | null;
  pg_backend_cpu_us_per_req: number | null;
}

export interface GroupFetchResult extends LoadResult, CpuShares {
  limit: number;
  /** Messages in one sample page (= limit when the pages are full). */
  sample_page: number;
  server_cpu_us_per_req: number | null;
}

export interface GroupPushResult extends DeliveryFigures {
  sockets: number;
  /** 2xx sends of the run x members. */
  expected: number;
}

export interface GroupPhaseResult {
  members: number;
  body_bytes: number;
  send: GroupSendResult;
  /** Not measured when the run was asked for sends only. */
  fetch?: GroupFetchResult;
  push: GroupPushResult;
}

const MESSAGES = '/groups/messages/send';
const FETCH = '/groups/messages/fetch';
const CIPHERTEXT = '"ciphertext":"';

/**
 * The group phase: `members` identities (each with a token) in one group with a #bench channel, all
 * holding a push socket. Sends (each by its member, with its token) at `connections` connections,
 * then (unless `fetchLimit` is undefined) fetches of `fetchLimit` from random points of the history;
 * every send fans out to every socket.
 */
export async function measureGroup(options: {
  url: string;
  serverPid: number;
  /** The server child's counters (its PostgreSQL costs, when it counts them). */
  counters: () => Promise<Record<string, number>>;
  members: number;
  plaintextBytes: number;
  poolRps: number;
  /** `limit` of each fetch; undefined: no fetch run (sends and push only). */
  fetchLimit: number | undefined;
  connections: number;
  warmupSeconds: number;
  seconds: number;
  log: (line: string) => void;
}): Promise<GroupPhaseResult> {
  const { url, connections, seconds, warmupSeconds, log } = options;

  // Identities, tokens, the group, its channel and the key (sealed to every member, as a client would).
  const clients = generateIdentities(options.members).map((identity) => new WhisprClient({ baseUrl: url, identity }));
  const members: BenchMember[] = await Promise.all(clients.map(async (c) => ({ address: c.address, token: await c.authenticate('x25519') })));
  const owner = new GroupClient(clients[0]!);
  const { id: groupId, invite_code } = await owner.create('bench');
  for (const c of clients.slice(1)) await new GroupClient(c).join({ invite_code });
  const { channel_id: channelId } = await owner.createChannel(groupId, 'bench');
  const key = newGroupKey();
  await owner.distributeKey(groupId, key, 1);

  const pool = new GroupSendPool(members, { groupId, channelId, key, keyVersion: 1 }, options.plaintextBytes);
  pool.growTo(Math.ceil(options.poolRps * (seconds + warmupSeconds)));
  const feed = new GroupSendFeed(pool);
  log(`  group ${groupId.slice(0, 8)}: ${members.length} members, ${pool.size} pre-encrypted bodies (~${pool.averageBytes} bytes)`);

  // Push sockets: a frame is matched to its body by ciphertext (found by string search, no JSON.parse per frame).
  const tally = new DeliveryTally(
    members.length,
    () => pool.size,
    (index) => feed.sentAt[index],
  );
  const onFrame = (member: number, data: WebSocket.RawData) => {
    const now = performance.now();
    const text = data.toString();
    const at = text.indexOf(CIPHERTEXT);
    const index = at < 0 ? undefined : pool.byCiphertext.get(text.slice(at + CIPHERTEXT.length, text.indexOf('"', at + CIPHERTEXT.length)));
    tally.record(member, text.includes('"type":"group_message"') ? index : undefined, now);
  };
  const wsBase = url.replace(/^http/, 'ws');
  const sockets = await Promise.all(members.map((m, i) => tally.openPushSocket(wsBase, m.address, m.token, (data) => onFrame(i, data))));
  const drain = async (expected: () => number, limitMs: number) => {
    const deadline = performance.now() + limitMs;
    while (tally.total < expected() && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  };

  try {
    // Sends (and the push fan-out they cause).
    let warm: LoadResult | undefined;
    if (warmupSeconds > 0) {
      warm = await runLoad({ url, path: MESSAGES, connections, seconds: warmupSeconds, cursor: feed });
      await drain(() => warm!.ok * members.length, 10_000);
      log(
        `  warm-up: ${warm.rps} sends/s, p99 ${warm.p99_ms} ms, ${tally.total} frames${warm.non2xx > 0 ? `, ${warm.non2xx} non-2xx: ${warm.error_samples.join(' | ')}` : ''}`,
      );
      const built = pool.growTo(feed.used + Math.ceil(Math.max(warm.rps, 1000) * 1.5 * seconds) + 2 * connections);
      if (built > 0) log(`  built ${built} more bodies (pool ${pool.size})`);
    }
    tally.measureFrom = feed.used;
    const totalBefore = tally.total;
    const pgCosts = await pgCostMeter(options.counters);
    const meter = cpuMeter(options.serverPid);
    tally.windowStart = performance.now();
    const run = await runLoad({ url, path: MESSAGES, connections, seconds, cursor: feed });
    tally.windowEnd = performance.now();
    const { serverSeconds, ...cpu } = meter();
    const pg = await pgCosts(run.ok);
    await drain(() => totalBefore + run.ok * members.length, 10_000);
    log(
      `  sends: ${run.rps}/s, p50 ${run.p50_ms} ms, p99 ${run.p99_ms} ms; ${tally.measured}/${run.ok * members.length} frames${pg.round_trips === null ? '' : `, ${pg.round_trips} pg trips/send, ${pg.backend_cpu_us} us pg backend CPU/send`}`,
    );

    // Read the channel back (max page size): the stored count, and the timestamps the fetch run starts from.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const timestamps: number[] = [];
    for (let since = 0, more = true; more; ) {
      const page = await owner.fetch(groupId, channelId, { since, limit: 1000 });
      for (const m of page.messages) timestamps.push(m.timestamp);
      ({ has_more: more, next_since: since } = page);
    }

    const perReq = (cpuSeconds: number | null, ok: number) => (cpuSeconds === null || ok === 0 ? null : Math.round((cpuSeconds * 1e6) / ok));
    // Fetches of one page from random points of the history.
    const measureFetch = async (limit: number): Promise<GroupFetchResult> => {
      const fetchFeed = new GroupFetchFeed(members, { groupId, channelId }, timestamps, limit);
      const sample = await owner.fetch(groupId, channelId, { since: timestamps[0] ?? 0, limit });
      if (warmupSeconds > 0) await runLoad({ url, path: FETCH, connections, seconds: warmupSeconds, cursor: fetchFeed });
      const fetchMeter = cpuMeter(options.serverPid);
      const fetchRun = await runLoad({ url, path: FETCH, connections, seconds, cursor: fetchFeed });
      const { serverSeconds: fetchServerSeconds, ...fetchCpu } = fetchMeter();
      log(`  fetches: ${fetchRun.rps}/s, p50 ${fetchRun.p50_ms} ms, p99 ${fetchRun.p99_ms} ms`);
      return { ...fetchRun, limit, sample_page: sample.messages.length, server_cpu_us_per_req: perReq(fetchServerSeconds, fetchRun.ok), ...fetchCpu };
    };
    const fetched = options.fetchLimit === undefined ? undefined : await measureFetch(options.fetchLimit);

    return {
      members: members.length,
      body_bytes: pool.averageBytes,
      send: {
        ...run,
        warmup_rps: warm?.rps ?? 0,
        accepted: (warm?.ok ?? 0) + run.ok,
        stored: timestamps.length,
        bodies_sent: feed.used,
        reused: feed.reused,
        server_cpu_us_per_req: perReq(serverSeconds, run.ok),
        pg_round_trips_per_req: pg.round_trips,
        pg_backend_cpu_us_per_req: pg.backend_cpu_us,
        ...cpu,
      },
      ...(fetched === undefined ? {} : { fetch: fetched }),
      push: { sockets: sockets.length, expected: run.ok * members.length, ...tally.figures() },
    };
  } finally {
    for (const ws of sockets) ws.terminate();
  }
}

/** The group phase on a running Whispr server child, with the bench's settings; `fetch` false: sends and push only. */
export function measureGroupOn(server: ServerChild, cfg: BenchConfig, fetch: boolean, log: (line: string) => void): Promise<GroupPhaseResult> {
  return measureGroup({
    url: server.url,
    serverPid: server.pid,
    counters: () => server.counters(),
    members: cfg.groupMembers,
    fetchLimit: fetch ? cfg.groupFetchLimit : undefined,
    plaintextBytes: cfg.plaintextBytes,
    poolRps: cfg.poolRps,
    connections: cfg.connections,
    warmupSeconds: cfg.warmupSeconds,
    seconds: cfg.seconds,
    log,
  });
}
