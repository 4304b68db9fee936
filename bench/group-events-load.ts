// The events phase's group run (docs/events.md#group-events): G users in one chat-app group, each with
// one /ws/{user_id} socket that acknowledges every event on receipt. The members post to the group
// (post n from member n mod G) with POST /api/events over C keep-alive connections, and the server
// puts a copy of each post in the queue of the G - 1 other members. Each payload starts with a stamp
// read back on every socket: posts and copies delivered per second, POST-to-receive latency of every
// copy, copies lost or duplicated, and what stayed queued on the server.
import { randomBytes } from 'node:crypto';
import { cpuMeter } from './cpu.js';
import { pgCostMeter } from './pg-round-trips.js';
import { DeliveryTally } from './delivery-tally.js';
import type { EventsRunFigures } from './events-run.js';
import { benchHeaders, benchUser, leftQueued, openAckingSockets, registerBenchUsers, serverSequence } from './events-users.js';
import { growTimes, runLoad, type LoadResult, type RequestFeed } from './load.js';
import type { RawReceiver } from './raw-ws-receiver.js';
import { encodeStamp, readStamp, waitUntil } from './rooms-wire.js';
import { round } from './stats.js';

/** The figures count copies: each post is one event per member but its sender. */
export interface GroupEventsRunResult extends EventsRunFigures {
  /** Members of the group, the posters among them; each post goes to members - 1 sockets. */
  members: number;
  /** Server CPU time per 2xx post of the run (store all copies, push, ACKs), and per copy. */
  server_cpu_us_per_post: number | null;
  server_cpu_us_per_copy: number | null;
  /** PostgreSQL round trips of the server, and CPU of its PostgreSQL backends, per 2xx post of the run (on PostgreSQL; null on SQLite). */
  pg_round_trips_per_post: number | null;
  pg_backend_cpu_us_per_post: number | null;
}

const GROUP_ID = 'bench-group';
const DRAIN_MS = 5_000;
const ANSWER_ID = /"event_id":"g(\d+)"/;

/** Per post: when it was handed to a connection, whether it was answered 2xx, how many members got it. */
class PostLedger {
  sentAt = new Float64Array(1 << 16);
  accepted = new Uint8Array(1 << 16);
  copies = new Uint16Array(1 << 16);

  /** Room for post `n`. */
  reserve(n: number): void {
    if (n < this.accepted.length) return;
    const length = this.accepted.length * 2;
    this.sentAt = growTimes(this.sentAt, length);
    const accepted = new Uint8Array(length);
    accepted.set(this.accepted);
    this.accepted = accepted;
    const copies = new Uint16Array(length);
    copies.set(this.copies);
    this.copies = copies;
  }
}

export async function measureGroupEvents(options: {
  url: string;
  serverPid: number;
  /** The server child's counters (its PostgreSQL costs, when it counts them). */
  counters: () => Promise<Record<string, number>>;
  members: number;
  connections: number;
  payloadBytes: number;
  warmupSeconds: number;
  seconds: number;
  log: (line: string) => void;
}): Promise<GroupEventsRunResult> {
  const { url, members, connections } = options;
  const others = members - 1;
  const userIds = Array.from({ length: members }, (_, i) => benchUser(i).userId);
  const headers = benchHeaders(members);
  // Random "ciphertext" after the 15-byte stamp (a multiple of 3, so the two base64 parts join).
  const tail = randomBytes(options.payloadBytes - 15).toString('base64');
  const ledger = new PostLedger();
  const tally = new DeliveryTally(
    members,
    () => ledger.sentAt.length,
    (n) => ledger.sentAt[n],
  );
  const lastServerSeq = new Float64Array(members);
  let nextSeq = 0;
  let accepted = 0;
  let acceptedCopies = 0;
  let outOfOrder = 0;

  const feed: RequestFeed = {
    take() {
      const n = nextSeq++;
      ledger.reserve(n);
      const now = performance.now();
      ledger.sentAt[n] = now;
      const s = n % members;
      const body = `{"event_id":"g${n}","recipient_id":"${GROUP_ID}","sender_id":"${userIds[s]}","event_type":"MESSAGE","sequence":0,"timestamp":0,"metadata":{"chat_id":"${GROUP_ID}","group_id":"${GROUP_ID}"},"encrypted_payload":"${encodeStamp(n, now)}${tail}"}`;
      return { body: Buffer.from(body), headers: headers[s]! };
    },
  };
  const onAnswer = (status: number, body: string) => {
    if (status < 200 || status >= 300) return;
    const n = Number(ANSWER_ID.exec(body)?.[1] ?? Number.NaN);
    if (!(n < nextSeq) || ledger.accepted[n] === 1) return;
    ledger.accepted[n] = 1;
    accepted++;
    acceptedCopies += ledger.copies[n]!;
  };

  const stamp = { seq: 0, sentAt: 0 };
  const onEvent = (r: number, eventId: string | undefined, data: Buffer, start: number, end: number) => {
    const now = performance.now();
    // A copy of post n reaches every member but its sender, n mod G.
    const ours = eventId !== undefined && readStamp(data, start, end, stamp) && stamp.seq < nextSeq && eventId === `g${stamp.seq}` && stamp.seq % members !== r;
    if (!tally.record(r, ours ? stamp.seq : undefined, now)) return;
    const n = stamp.seq;
    ledger.copies[n]!++;
    if (ledger.accepted[n] === 1) acceptedCopies++;
    const serverSeq = serverSequence(data, start, end);
    if (!(serverSeq > lastServerSeq[r]!)) outOfOrder++;
    else lastServerSeq[r] = serverSeq;
  };

  let receivers: RawReceiver[] = [];
  try {
    await registerBenchUsers(url, members, 'whispr group');
    const created = await fetch(new URL(`/api/groups?group_id=${GROUP_ID}&name=bench`, url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers[0]! },
      body: JSON.stringify(userIds.slice(1)),
    });
    if (!created.ok) throw new Error(`whispr group: POST /api/groups answered ${created.status} ${(await created.text()).slice(0, 200)}`);
    receivers = await openAckingSockets(url, userIds, onEvent, () => tally.closes++);

    const drained = () => acceptedCopies >= accepted * others;
    const load = (seconds: number) => runLoad({ url, path: '/api/events', connections, seconds, cursor: feed, onAnswer });
    let warm: LoadResult | undefined;
    if (options.warmupSeconds > 0) {
      warm = await load(options.warmupSeconds);
      await waitUntil(drained, 10_000);
      options.log(
        `  whispr group warm-up: ${warm.rps} posted/s, ${acceptedCopies}/${accepted * others} copies received${warm.non2xx > 0 ? `, ${warm.non2xx} non-2xx: ${warm.error_samples.join(' | ')}` : ''}`,
      );
    }
    tally.measureFrom = nextSeq;
    const pgCosts = await pgCostMeter(options.counters);
    const meter = cpuMeter(options.serverPid);
    tally.windowStart = performance.now();
    const run = await load(options.seconds);
    tally.windowEnd = performance.now();
    const { serverSeconds, ...cpu } = meter();
    const pg = await pgCosts(run.ok);
    await waitUntil(drained, DRAIN_MS);
    const left = await leftQueued(url);
    let lost = 0;
    for (let n = 0; n < nextSeq; n++) if (ledger.accepted[n] === 1) lost += others - ledger.copies[n]!;
    const figures = tally.figures();
    const perPost = serverSeconds === null || run.ok === 0 ? null : (serverSeconds * 1e6) / run.ok;
    return {
      members,
      connections,
      payload_bytes: options.payloadBytes,
      seconds: round((tally.windowEnd - tally.windowStart) / 1000),
      posted_per_s: run.rps,
      post_p50_ms: run.p50_ms,
      post_p99_ms: run.p99_ms,
      delivered_per_s: figures.delivered_per_s,
      accepted,
      failed: (warm === undefined ? 0 : warm.non2xx + warm.errors + warm.timeouts) + run.non2xx + run.errors + run.timeouts,
      lost,
      duplicates: figures.duplicate_frames,
      out_of_order: outOfOrder,
      unexpected_frames: figures.unknown_frames,
      socket_closes: figures.socket_closes,
      left_queued: left,
      p50_ms: figures.p50_ms,
      p90_ms: figures.p90_ms,
      p99_ms: figures.p99_ms,
      max_ms: figures.max_ms,
      server_cpu_us_per_post: perPost === null ? null : round(perPost, 1),
      server_cpu_us_per_copy: perPost === null ? null : round(perPost / others, 1),
      pg_round_trips_per_post: pg.round_trips,
      pg_backend_cpu_us_per_post: pg.backend_cpu_us,
      error_samples: run.error_samples,
      ...cpu,
    };
  } finally {
    for (const receiver of receivers) receiver.close();
  }
}
