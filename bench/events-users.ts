// The events phase's chat-app users, shared by its direct and group runs: registration with dev ID
// tokens, one socket per user that acknowledges every event on arrival, and what stayed queued.
import { randomBytes } from 'node:crypto';
import { queuedUserEvents } from './health.js';
import { openRawReceiver, type RawReceiver } from './raw-ws-receiver.js';
import { sleep } from './rooms-wire.js';

/** ID token `dev_bench<i>` is user `user_dev_bench<i>` on a server with oidc_dev_tokens. */
export const benchUser = (i: number) => ({ token: `dev_bench${i}`, userId: `user_dev_bench${i}` });

/** The bearer header of each of the first `count` bench users. */
export const benchHeaders = (count: number) => Array.from({ length: count }, (_, i) => ({ authorization: `Bearer ${benchUser(i).token}` }));

/** Registers (or re-registers) the first `count` bench users; Whispr refuses events to unregistered users. */
export async function registerBenchUsers(url: string, count: number, server: string): Promise<void> {
  for (let i = 0; i < count; i++) {
    const response = await fetch(new URL('/api/register', url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ google_id_token: benchUser(i).token, public_key: randomBytes(32).toString('base64'), display_name: `bench ${i}` }),
    });
    if (!response.ok) throw new Error(`${server}: POST /api/register answered ${response.status} ${(await response.text()).slice(0, 200)}`);
  }
}

const EVENT_ID = Buffer.from('"event_id":"');
const SEQUENCE = Buffer.from('"sequence":');

/**
 * One /ws/{user_id} socket per user (compat mode: no token) on the lean client. Every event is
 * acknowledged the moment it arrives, as a client that has stored it would (the ACKs of one TCP chunk
 * leave in one write), then handed to `onEvent` with the index of its user; a frame without an
 * event_id comes with `eventId` undefined. `data` is valid during the call only.
 */
export async function openAckingSockets(
  url: string,
  userIds: readonly string[],
  onEvent: (user: number, eventId: string | undefined, data: Buffer, start: number, end: number) => void,
  onClose: () => void,
): Promise<RawReceiver[]> {
  const wsBase = url.replace(/^http/, 'ws');
  const receivers: RawReceiver[] = [];
  const open = async (r: number) => {
    const receiver = await openRawReceiver(
      `${wsBase}/ws/${encodeURIComponent(userIds[r]!)}`,
      (data, start, end) => {
        const idAt = data.indexOf(EVENT_ID, start);
        const idEnd = idAt < 0 || idAt >= end ? -1 : data.indexOf(0x22, idAt + EVENT_ID.length);
        if (idEnd < 0 || idEnd >= end) return onEvent(r, undefined, data, start, end);
        const eventId = data.toString('latin1', idAt + EVENT_ID.length, idEnd);
        receivers[r]?.send(`{"type":"ACK","event_id":"${eventId}"}`);
        onEvent(r, eventId, data, start, end);
      },
      10_000,
    );
    receiver.socket.once('close', onClose);
    receivers.push(receiver);
  };
  try {
    for (let r = 0; r < userIds.length; r++) await open(r);
  } catch (err) {
    for (const receiver of receivers) receiver.close();
    throw err;
  }
  return receivers;
}

/** The server's `sequence` of an event frame (its last field); NaN when there is none. */
export function serverSequence(data: Buffer, start: number, end: number): number {
  const at = data.lastIndexOf(SEQUENCE, end - 1);
  return at < start ? Number.NaN : Number(data.toString('latin1', at + SEQUENCE.length, end - 1));
}

/** queued_user_events on the server's GET /health, once it is 0 or after 2 s more for the last ACKs. */
export async function leftQueued(url: string): Promise<number> {
  const deadline = performance.now() + 2_000;
  let left = await queuedUserEvents(url);
  while (left > 0 && performance.now() < deadline) {
    await sleep(100);
    left = await queuedUserEvents(url);
  }
  return left;
}
