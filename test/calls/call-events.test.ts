/**
 * Private-comm call events (call_offer, call_answer, ice_candidate, call_reject, call_end) through
 * CallService directly: the account socket that will carry them does not exist yet.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { CallError, CallService, type CallLimits, type CallPeer, type UserDelivery } from '../../src/features/calls/call-service.js';
import { eventually } from '../support/test-server.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);
const SDP = 'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';

/** In-memory account connections: records what each user received; users in `offline` are not connected. */
class Inboxes implements UserDelivery {
  readonly received = new Map<string, Array<Record<string, unknown>>>();
  readonly offline = new Set<string>();

  async deliver(userId: string, frame: Record<string, unknown>): Promise<boolean> {
    if (this.offline.has(userId)) return false;
    const list = this.received.get(userId) ?? [];
    list.push(frame);
    this.received.set(userId, list);
    return true;
  }

  of(userId: string): Array<Record<string, unknown>> {
    return this.received.get(userId) ?? [];
  }
}

/** A /signal participant that records what it is sent. */
class FakePeer implements CallPeer {
  readonly frames: string[] = [];
  send(frame: string): void {
    this.frames.push(frame);
  }
}

const services: CallService[] = [];
afterEach(() => {
  for (const service of services.splice(0)) service.close();
});

function setup(limits: Partial<CallLimits> = {}): { calls: CallService; inboxes: Inboxes } {
  const inboxes = new Inboxes();
  const calls = new CallService({ maxParticipants: 2, maxCalls: 1000, timeoutMs: 3_600_000, ...limits }, inboxes);
  services.push(calls);
  return { calls, inboxes };
}

/** The CallError code a call rejects with (fails if it resolves or throws something else). */
async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(CallError);
    return (err as CallError).code;
  }
  throw new Error('the call event was accepted');
}

test('a full call: offer, answer, ICE candidates both ways, end — each delivered to the addressee with sender_id', async () => {
  const { calls, inboxes } = setup();
  await calls.relayUserEvent(A, B, 'call_offer', { sdp: SDP });
  expect(inboxes.of(B)).toEqual([{ type: 'call_offer', sender_id: A, sdp: SDP }]);
  expect(calls.stats()).toMatchObject({ active_calls: 1, signal_rooms: 0, calls_opened: 1 });

  await calls.relayUserEvent(B, A, 'call_answer', { sdp: 'answer-sdp' });
  const candidate = { candidate: 'candidate:842163049 1 udp 1677729535 192.0.2.7 46154 typ srflx raddr 0.0.0.0 rport 0', sdpMid: '0', sdpMLineIndex: 0 };
  await calls.relayUserEvent(A, B, 'ice_candidate', { candidate });
  await calls.relayUserEvent(B, A, 'ice_candidate', { candidate: { ...candidate, sdpMid: 'audio', sdpMLineIndex: 1 } });
  await calls.relayUserEvent(B, A, 'call_end', {});

  expect(inboxes.of(A)).toEqual([
    { type: 'call_answer', sender_id: B, sdp: 'answer-sdp' },
    { type: 'ice_candidate', sender_id: B, candidate: { ...candidate, sdpMid: 'audio', sdpMLineIndex: 1 } },
    { type: 'call_end', sender_id: B },
  ]);
  expect(inboxes.of(B)).toEqual([
    { type: 'call_offer', sender_id: A, sdp: SDP },
    { type: 'ice_candidate', sender_id: A, candidate },
  ]);
  expect(calls.stats()).toMatchObject({ active_calls: 0, call_events_relayed: 5, signals_relayed: 0 });
});

test('type and sender_id cannot be forged through the fields', async () => {
  const { calls, inboxes } = setup();
  await calls.relayUserEvent(A, B, 'call_offer', { sdp: SDP, type: 'call_end', sender_id: C });
  expect(inboxes.of(B)).toEqual([{ type: 'call_offer', sender_id: A, sdp: SDP }]);
});

test('a rejected call is closed: the caller hears call_reject, later events are CALL_NOT_FOUND', async () => {
  const { calls, inboxes } = setup();
  await calls.relayUserEvent(A, B, 'call_offer', { sdp: SDP });
  await calls.relayUserEvent(B, A, 'call_reject', { reason: 'busy' });
  expect(inboxes.of(A)).toEqual([{ type: 'call_reject', sender_id: B, reason: 'busy' }]);
  expect(await refusal(calls.relayUserEvent(B, A, 'call_answer', { sdp: 'late' }))).toBe('CALL_NOT_FOUND');
  expect(calls.activeCalls()).toBe(0);
});

describe.each(['call_answer', 'ice_candidate', 'call_reject', 'call_end'] as const)('%s', (type) => {
  test('without an open call is refused with CALL_NOT_FOUND and delivers nothing', async () => {
    const { calls, inboxes } = setup();
    expect(await refusal(calls.relayUserEvent(A, B, type, { sdp: 'x' }))).toBe('CALL_NOT_FOUND');
    expect(inboxes.received.size).toBe(0);
    expect(calls.stats()).toMatchObject({ active_calls: 0, refused: 1, call_events_relayed: 0 });
  });
});

test('a third user cannot answer, send candidates into or end a call between two others', async () => {
  const { calls, inboxes } = setup();
  await calls.relayUserEvent(A, B, 'call_offer', { sdp: SDP });
  expect(await refusal(calls.relayUserEvent(C, A, 'call_answer', { sdp: 'hijack' }))).toBe('CALL_NOT_FOUND');
  expect(await refusal(calls.relayUserEvent(C, B, 'ice_candidate', { candidate: { candidate: 'evil' } }))).toBe('CALL_NOT_FOUND');
  expect(await refusal(calls.relayUserEvent(C, B, 'call_end', {}))).toBe('CALL_NOT_FOUND');
  expect(inboxes.of(A)).toEqual([]);
  expect(inboxes.of(B)).toEqual([{ type: 'call_offer', sender_id: A, sdp: SDP }]);
  // The genuine callee still answers the open call.
  await calls.relayUserEvent(B, A, 'call_answer', { sdp: 'answer' });
  expect(inboxes.of(A)).toEqual([{ type: 'call_answer', sender_id: B, sdp: 'answer' }]);
});

test('call_end closes the call: further candidates are CALL_NOT_FOUND, and a new offer opens a new call', async () => {
  const { calls, inboxes } = setup();
  await calls.relayUserEvent(A, B, 'call_offer', { sdp: SDP });
  await calls.relayUserEvent(A, B, 'call_end', {});
  expect(await refusal(calls.relayUserEvent(B, A, 'ice_candidate', { candidate: { candidate: 'late', sdpMid: '0', sdpMLineIndex: 0 } }))).toBe(
    'CALL_NOT_FOUND',
  );
  expect(calls.activeCalls()).toBe(0);
  await calls.relayUserEvent(B, A, 'call_offer', { sdp: 'again' });
  expect(calls.stats()).toMatchObject({ active_calls: 1, calls_opened: 2 });
  expect(inboxes.of(A)).toEqual([{ type: 'call_offer', sender_id: B, sdp: 'again' }]);
});

test('an offer to an offline user is RECIPIENT_OFFLINE and leaves no call open', async () => {
  const { calls, inboxes } = setup();
  inboxes.offline.add(B);
  expect(await refusal(calls.relayUserEvent(A, B, 'call_offer', { sdp: SDP }))).toBe('RECIPIENT_OFFLINE');
  expect(calls.activeCalls()).toBe(0);
  expect(await refusal(calls.relayUserEvent(A, B, 'ice_candidate', { candidate: { candidate: 'x' } }))).toBe('CALL_NOT_FOUND');
  inboxes.offline.delete(B);
  await calls.relayUserEvent(A, B, 'call_offer', { sdp: SDP });
  expect(inboxes.of(B)).toHaveLength(1);
});

describe('limits shared with /signal rooms', () => {
  test('an open user call makes a /signal join of a new call fail with TOO_MANY_CALLS (maxCalls 1)', async () => {
    const { calls } = setup({ maxCalls: 1 });
    await calls.relayUserEvent(A, B, 'call_offer', { sdp: SDP });
    const peer = new FakePeer();
    expect(() => calls.join(peer, 'signal-room')).toThrow(expect.objectContaining({ code: 'TOO_MANY_CALLS' }));
    expect(calls.stats()).toMatchObject({ active_calls: 1, signal_rooms: 0, participants: 0 });
    // A second user call is refused too; ending the first frees the place for a room.
    expect(await refusal(calls.relayUserEvent(C, A, 'call_offer', { sdp: SDP }))).toBe('TOO_MANY_CALLS');
    await calls.relayUserEvent(B, A, 'call_end', {});
    calls.join(peer, 'signal-room');
    expect(calls.stats()).toMatchObject({ active_calls: 1, signal_rooms: 1, participants: 1 });
  });

  test('an open /signal room makes a new user call fail with TOO_MANY_CALLS; renegotiating an open call does not count twice', async () => {
    const { calls, inboxes } = setup({ maxCalls: 2 });
    calls.join(new FakePeer(), 'room-1');
    await calls.relayUserEvent(A, B, 'call_offer', { sdp: SDP });
    await calls.relayUserEvent(B, A, 'call_offer', { sdp: 're-offer' });
    expect(inboxes.of(A)).toEqual([{ type: 'call_offer', sender_id: B, sdp: 're-offer' }]);
    expect(await refusal(calls.relayUserEvent(A, C, 'call_offer', { sdp: SDP }))).toBe('TOO_MANY_CALLS');
    expect(inboxes.of(C)).toEqual([]);
    expect(calls.activeCalls()).toBe(2);
  });
});

test('a user call is closed when it reaches the call timeout', async () => {
  const { calls, inboxes } = setup({ timeoutMs: 100 });
  await calls.relayUserEvent(A, B, 'call_offer', { sdp: SDP });
  expect(calls.activeCalls()).toBe(1);
  await eventually(() => calls.activeCalls() === 0, 2_000);
  expect(calls.stats()).toMatchObject({ calls_timed_out: 1, active_calls: 0 });
  expect(await refusal(calls.relayUserEvent(B, A, 'call_answer', { sdp: 'too late' }))).toBe('CALL_NOT_FOUND');
  expect(inboxes.of(A)).toEqual([]);
});

test('without a user delivery, call events are a configuration error, not a silent drop', async () => {
  const calls = new CallService({ maxParticipants: 2, maxCalls: 10, timeoutMs: 1000 });
  services.push(calls);
  await expect(calls.relayUserEvent(A, B, 'call_offer', { sdp: SDP })).rejects.toThrow(/no user delivery/);
});
