// The events phase (chat-app events, docs/events.md): R users each hold one /ws/{user_id} socket that
// acknowledges every event on receipt; the users post events to each other with POST /api/events over
// C keep-alive connections (autocannon, as the /send runs). Each event's encrypted_payload starts with
// a stamp (sequence number, send time) read back on the socket: events posted and delivered per second,
// POST-to-receive latency, lost/duplicated by sequence number, and what stayed queued on the server.
import { randomBytes } from 'node:crypto';
import { cpuMeter, type CpuShares } from './cpu.js';
import { queuedUserEvents } from './health.js';
import { growTimes, runLoad, type RequestFeed } from './load.js';
import { openRawReceiver, type RawReceiver } from './raw-ws-receiver.js';
import { encodeStamp, readStamp, waitUntil } from './rooms-wire.js';
import { Samples, round } from './stats.js';

export interface EventsRunResult extends CpuShares {
  server: string;
  recipients: number;
  connections: number;
  /** Bytes of each event's encrypted_payload (decoded: a 15-byte stamp, then random bytes). */
  payload_bytes: number;
  seconds: number;
  /** 2xx POST /api/events answers per second during the measured run, and their latency. */
  posted_per_s: number;
  post_p50_ms: number;
  post_p99_ms: number;
  /** Events received (each acknowledged at once) per second, summed over recipients, during the measured window. */
  delivered_per_s: number;
  /** Events handed to a connection over warm-up and run, and those answered 2xx. */
  sent: number;
  accepted: number;
  /** Non-2xx answers, connection errors and timeouts over warm-up and run. */
  failed: number;
  /** Events answered 2xx and never received after the drain wait. */
  lost: number;
  duplicates: number;
  /** Frames whose server `sequence` did not grow on their socket (excluding duplicates). */
  out_of_order: number;
  /** Frames that were not a bench event for this socket (errors, misrouted events). */
  unexpected_frames: number;
  socket_closes: number;
  /** queued_user_events on the server's GET /health after the drain (0: every event was acknowledged). */
  left_queued: number;
  /** Event handed to a connection -> its frame received on the recipient's socket, every event sent in the measured window. */
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
  /** Server CPU time per 2xx POST of the run (store + push + ACK). */
  server_cpu_us_per_event: number | null;
  error_samples: string[];
}

const DRAIN_MS = 5_000;
const RECEIVED = 1;
const ACCEPTED = 2;
const EVENT_ID = Buffer.from('"event_id":"');
const SEQUENCE = Buffer.from('"sequence":');
const ANSWER_ID = /"event_id":"e(\d+)"/;

/** The bench's chat-app users: ID token `dev_bench<i>` is user `user_dev_bench<i>` on a server with oidc_dev_tokens. */
export const benchUser = (i: number) => ({ token: `dev_bench${i}`, userId: `user_dev_bench${i}` });

export async function measureEvents(options: {
  server: string;
  url: string;
  serverPid: number;
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
  const headers = Array.from({ length: users }, (_, i) => ({ authorization: `Bearer ${benchUser(i).token}` }));
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
  const receivers: RawReceiver[] = [];
  const onFrame = (r: number, data: Buffer, start: number, end: number) => {
    const now = performance.now();
    const idAt = data.indexOf(EVENT_ID, start);
    const idEnd = idAt < 0 || idAt >= end ? -1 : data.indexOf(0x22, idAt + EVENT_ID.length);
    if (idEnd < 0 || idEnd >= end) return void unexpected++;
    const eventId = data.toString('latin1', idAt + EVENT_ID.length, idEnd);
    // Acknowledged on receipt, as a client that has stored the event would.
    receivers[r]?.send(`{"type":"ACK","event_id":"${eventId}"}`);
    if (!readStamp(data, start, end, stamp) || stamp.seq >= nextSeq || eventId !== `e${stamp.seq}` || stamp.seq % users !== r) return void unexpected++;
    const seq = stamp.seq;
    if ((state[seq]! & RECEIVED) !== 0) return void duplicates++;
    state[seq]! |= RECEIVED;
    if ((state[seq]! & ACCEPTED) !== 0) acceptedReceived++;
    const seqAt = data.lastIndexOf(SEQUENCE, end - 1);
    const serverSeq = seqAt < start ? Number.NaN : Number(data.toString('latin1', seqAt + SEQUENCE.length, end - 1));
    if (!(serverSeq > lastServerSeq[r]!)) outOfOrder++;
    else lastServerSeq[r] = serverSeq;
    if (now >= windowStart && now <= windowEnd) inWindow++;
    if (stamp.sentAt >= windowStart && stamp.sentAt < windowEnd) latencies.add(now - stamp.sentAt);
  };

  try {
    if (options.register) {
      for (let i = 0; i < users; i++) {
        const response = await fetch(new URL('/api/register', url), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ google_id_token: benchUser(i).token, public_key: randomBytes(32).toString('base64'), display_name: `bench ${i}` }),
        });
        if (!response.ok) throw new Error(`${options.server}: POST /api/register answered ${response.status} ${(await response.text()).slice(0, 200)}`);
      }
    }
    const wsBase = url.replace(/^http/, 'ws');
    for (let r = 0; r < users; r++) {
      const receiver = await openRawReceiver(`${wsBase}/ws/${encodeURIComponent(userIds[r]!)}`, (data, start, end) => onFrame(r, data, start, end), 10_000);
      receiver.socket.once('close', () => closes++);
      receivers.push(receiver);
    }

    const drained = () => acceptedReceived >= accepted;
    let failed = 0;
    if (options.warmupSeconds > 0) {
      const warm = await runLoad({ url, path: '/api/events', connections, seconds: options.warmupSeconds, cursor: feed, onAnswer });
      failed += warm.non2xx + warm.errors + warm.timeouts;
      // Let the warm-up's backlog reach the sockets before the measured run starts.
      await waitUntil(drained, 10_000);
      options.log(`  ${options.server} warm-up: ${warm.rps} posted/s, ${acceptedReceived}/${accepted} received${warm.non2xx > 0 ? `, ${warm.non2xx} non-2xx: ${warm.error_samples.join(' | ')}` : ''}`);
    }
    const meter = cpuMeter(options.serverPid);
    windowStart = performance.now();
    const run = await runLoad({ url, path: '/api/events', connections, seconds: options.seconds, cursor: feed, onAnswer });
    windowEnd = performance.now();
    const { serverSeconds, ...cpu } = meter();
    failed += run.non2xx + run.errors + run.timeouts;
    await waitUntil(drained, DRAIN_MS);
    // The last ACKs may still be on their way: give the queue a moment to empty.
    const deadline = performance.now() + 2_000;
    let leftQueued = await queuedUserEvents(url);
    while (leftQueued > 0 && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      leftQueued = await queuedUserEvents(url);
    }
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
      server_cpu_us_per_event: serverSeconds === null || run.ok === 0 ? null : round((serverSeconds * 1e6) / run.ok, 1),
      error_samples: run.error_samples,
      ...cpu,
    };
  } finally {
    for (const receiver of receivers) receiver.close();
  }
}
