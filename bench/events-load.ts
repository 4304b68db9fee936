// The events phase (chat-app events, docs/events.md): R users each hold one /ws/{user_id} socket that
// acknowledges every event on receipt; the users post events to each other with POST /api/events over
// C keep-alive connections (autocannon, as the /send runs). Each event's encrypted_payload starts with
// a stamp (sequence number, send time) read back on the socket: events posted and delivered per second,
// POST-to-receive latency, lost/duplicated by sequence number, and what stayed queued on the server.
import { randomBytes } from 'node:crypto';
import { cpuMeter } from './cpu.js';
import { pgCostMeter } from './pg-round-trips.js';
import type { EventsRunFigures } from './events-run.js';
import { benchHeaders, benchUser, leftQueued as queuedAfterDrain, openAckingSockets, registerBenchUsers, serverSequence } from './events-users.js';
import { growTimes, runLoad, type RequestFeed } from './load.js';
import type { RawReceiver } from './raw-ws-receiver.js';
import { encodeStamp, readStamp, waitUntil } from './rooms-wire.js';
import { Samples, round } from './stats.js';

export interface EventsRunResult extends EventsRunFigures {
  server: string;
  recipients: number;
  /** Events handed to a connection over warm-up and run. */
  sent: number;
  /** Server CPU time per 2xx POST of the run (store + push + ACK). */
  server_cpu_us_per_event: number | null;
  /** PostgreSQL round trips of the server, and CPU of its PostgreSQL backends, per 2xx POST of the run (on PostgreSQL; null on SQLite). */
  pg_round_trips_per_event: number | null;
  pg_backend_cpu_us_per_event: number | null;
}

const DRAIN_MS = 5_000;
const RECEIVED = 1;
const ACCEPTED = 2;
const ANSWER_ID = /"event_id":"e(\d+)"/;

export async function measureEvents(options: {
  server: string;
  url: string;
  serverPid: number;
  /** The server child's counters (its PostgreSQL costs, when it counts them). */
  counters: () => Promise<Record<string, number>>;
  recipients: number;
  connections: number;
  payloadBytes: number;
  warmupSeconds: number;
  seconds: number;
  /** Register the users first (Whispr refuses events to unregistered recipients; the bare server has no users). */
  register: boolean;
  log: (line: string) => void;
}): Promise<EventsRunResult> {
  const { url, recipients: users, connections } = options;
  const userIds = Array.from({ length: users }, (_, i) => benchUser(i).userId);
  const headers = benchHeaders(users);
  // Random "ciphertext" after the stamp; the stamp is 15 bytes (a multiple of 3), so the two base64 parts join.
  const tail = randomBytes(options.payloadBytes - 15).toString('base64');

  let state = new Uint8Array(1 << 16); // per event seq: RECEIVED | ACCEPTED
  let sentAt = new Float64Array(1 << 16);
  let nextSeq = 0;
  let accepted = 0;
  let acceptedReceived = 0;
  let duplicates = 0;
  let outOfOrder = 0;
  let unexpected = 0;
  let closes = 0;
  let windowStart = Number.POSITIVE_INFINITY;
  let windowEnd = Number.POSITIVE_INFINITY;
  let inWindow = 0;
  const latencies = new Samples();
  const lastServerSeq = new Float64Array(users);

  // Event n goes to user n mod R from another user, a different one each lap.
  const feed: RequestFeed = {
    take() {
      const seq = nextSeq++;
      if (seq >= state.length) {
        const bigger = new Uint8Array(state.length * 2);
        bigger.set(state);
        state = bigger;
        sentAt = growTimes(sentAt, state.length);
      }
      const r = seq % users;
      const s = users === 1 ? 0 : (r + 1 + (Math.floor(seq / users) % (users - 1))) % users;
      const now = performance.now();
      sentAt[seq] = now;
      const body = `{"event_id":"e${seq}","recipient_id":"${userIds[r]}","sender_id":"${userIds[s]}","event_type":"MESSAGE","sequence":0,"timestamp":0,"metadata":{},"encrypted_payload":"${encodeStamp(seq, now)}${tail}"}`;
      return { body: Buffer.from(body), headers: headers[s]! };
    },
  };
  const onAnswer = (status: number, body: string) => {
    if (status < 200 || status >= 300) return;
    const seq = Number(ANSWER_ID.exec(body)?.[1] ?? Number.NaN);
    if (!(seq < nextSeq) || (state[seq]! & ACCEPTED) !== 0) return;
    state[seq]! |= ACCEPTED;
    accepted++;
    if ((state[seq]! & RECEIVED) !== 0) acceptedReceived++;
  };

  const stamp = { seq: 0, sentAt: 0 };
  let receivers: RawReceiver[] = [];
  const onEvent = (r: number, eventId: string | undefined, data: Buffer, start: number, end: number) => {
    const now = performance.now();
    if (eventId === undefined || !readStamp(data, start, end, stamp) || stamp.seq >= nextSeq || eventId !== `e${stamp.seq}` || stamp.seq % users !== r)
      return void unexpected++;
    const seq = stamp.seq;
    if ((state[seq]! & RECEIVED) !== 0) return void duplicates++;
    state[seq]! |= RECEIVED;
    if ((state[seq]! & ACCEPTED) !== 0) acceptedReceived++;
    const serverSeq = serverSequence(data, start, end);
    if (!(serverSeq > lastServerSeq[r]!)) outOfOrder++;
    else lastServerSeq[r] = serverSeq;
    if (now >= windowStart && now <= windowEnd) inWindow++;
    if (stamp.sentAt >= windowStart && stamp.sentAt < windowEnd) latencies.add(now - stamp.sentAt);
  };

  try {
    if (options.register) await registerBenchUsers(url, users, options.server);
    receivers = await openAckingSockets(url, userIds, onEvent, () => closes++);

    const drained = () => acceptedReceived >= accepted;
    let failed = 0;
    if (options.warmupSeconds > 0) {
      const warm = await runLoad({ url, path: '/api/events', connections, seconds: options.warmupSeconds, cursor: feed, onAnswer });
      failed += warm.non2xx + warm.errors + warm.timeouts;
      // Let the warm-up's backlog reach the sockets before the measured run starts.
      await waitUntil(drained, 10_000);
      options.log(
        `  ${options.server} warm-up: ${warm.rps} posted/s, ${acceptedReceived}/${accepted} received${warm.non2xx > 0 ? `, ${warm.non2xx} non-2xx: ${warm.error_samples.join(' | ')}` : ''}`,
      );
    }
    const pgCosts = await pgCostMeter(options.counters);
    const meter = cpuMeter(options.serverPid);
    windowStart = performance.now();
    const run = await runLoad({ url, path: '/api/events', connections, seconds: options.seconds, cursor: feed, onAnswer });
    windowEnd = performance.now();
    const { serverSeconds, ...cpu } = meter();
    const pg = await pgCosts(run.ok);
    failed += run.non2xx + run.errors + run.timeouts;
    await waitUntil(drained, DRAIN_MS);
    const leftQueued = await queuedAfterDrain(url);
    let lost = 0;
    for (let seq = 0; seq < nextSeq; seq++) if (state[seq] === ACCEPTED) lost++;
    const windowSeconds = (windowEnd - windowStart) / 1000;
    if (unexpected > 0) options.log(`  WARNING ${options.server}: ${unexpected} unexpected frames during the run`);
    const [p50, p90, p99, max] = latencies.percentiles(50, 90, 99, 100);
    return {
      server: options.server,
      recipients: users,
      connections,
      payload_bytes: options.payloadBytes,
      seconds: round(windowSeconds),
      posted_per_s: run.rps,
      post_p50_ms: run.p50_ms,
      post_p99_ms: run.p99_ms,
      delivered_per_s: round(inWindow / windowSeconds, 0),
      sent: nextSeq,
      accepted,
      failed,
      lost,
      duplicates,
      out_of_order: outOfOrder,
      unexpected_frames: unexpected,
      socket_closes: closes,
      left_queued: leftQueued,
      p50_ms: round(p50 ?? Number.NaN, 3),
      p90_ms: round(p90 ?? Number.NaN, 3),
      p99_ms: round(p99 ?? Number.NaN, 3),
      max_ms: round(max ?? Number.NaN, 3),
      pg_round_trips_per_event: pg.round_trips,
      pg_backend_cpu_us_per_event: pg.backend_cpu_us,
      server_cpu_us_per_event: serverSeconds === null || run.ok === 0 ? null : round((serverSeconds * 1e6) / run.ok, 1),
      error_samples: run.error_samples,
      ...cpu,
    };
  } finally {
    for (const receiver of receivers) receiver.close();
  }
}
