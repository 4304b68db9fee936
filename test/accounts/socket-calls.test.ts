/** Call events over /ws?token=: offer opens a call, only the pair continues it, reject/end close it. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { statusFigure, statusFigures } from '../support/server-status.js';
import { eventually, startServer, type RunningServer } from '../support/test-server.js';
import { account, ask, connectAs, LIFTED, roundTrip, type AccountSocket } from './account-kit.js';

let srv: RunningServer;
beforeAll(async () => {
  srv = await startServer({ ...LIFTED });
});
afterAll(() => srv.stop());

type Account = Awaited<ReturnType<typeof account>>;
const SDP = 'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';
const CANDIDATE = {
  candidate: 'candidate:842163049 1 udp 1677729535 192.0.2.7 46154 typ srflx raddr 0.0.0.0 rport 0',
  sdpMid: '0',
  sdpMLineIndex: 0,
  usernameFragment: null,
};

/** The calls figures of the server's status (in /metrics: /health does not tell who is in a call). */
const callStats = async () => {
  const figures = await statusFigures(srv);
  return { active_calls: figures['calls.active_calls']!, call_events_relayed: figures['calls.call_events_relayed']! };
};

/** Two connected accounts. */
async function pair(): Promise<{ alice: Account; bob: Account; sa: AccountSocket; sb: AccountSocket; close(): void }> {
  const [alice, bob] = [await account(srv), await account(srv)];
  const [sa, sb] = [await connectAs(srv, alice), await connectAs(srv, bob)];
  return {
    alice,
    bob,
    sa,
    sb,
    close() {
      sa.ws.close();
      sb.ws.close();
    },
  };
}

/** The next frame `socket` receives after `send` ran. */
async function receivedAfter(socket: AccountSocket, send: () => void): Promise<Record<string, unknown>> {
  const seen = socket.frames.length;
  send();
  return socket.next((f) => socket.frames.indexOf(f) >= seen);
}

describe('a call between two connected users', () => {
  test('offer, answer, ice candidates both ways and end are forwarded as {type, sender_id, ...fields}', async () => {
    const { alice, bob, sa, sb, close } = await pair();
    const before = await callStats();

    const offer = await receivedAfter(sb, () => sa.send({ type: 'call_offer', recipient_id: bob.userId, sdp: SDP, video: true }));
    expect(offer).toEqual({ type: 'call_offer', sender_id: alice.userId, sdp: SDP, video: true });
    expect((await callStats()).active_calls).toBe(before.active_calls + 1);

    const answer = await receivedAfter(sa, () => sb.send({ type: 'call_answer', recipient_id: alice.userId, sdp: SDP }));
    expect(answer).toEqual({ type: 'call_answer', sender_id: bob.userId, sdp: SDP });

    // The candidate object (RTCIceCandidate.toJSON()) is passed on verbatim.
    const ice = await receivedAfter(sb, () => sa.send({ type: 'ice_candidate', recipient_id: bob.userId, candidate: CANDIDATE }));
    expect(ice).toEqual({ type: 'ice_candidate', sender_id: alice.userId, candidate: CANDIDATE });
    const back = await receivedAfter(sa, () => sb.send({ type: 'ice_candidate', recipient_id: alice.userId, candidate: { ...CANDIDATE, sdpMid: '1' } }));
    expect(back).toEqual({ type: 'ice_candidate', sender_id: bob.userId, candidate: { ...CANDIDATE, sdpMid: '1' } });

    const end = await receivedAfter(sb, () => sa.send({ type: 'call_end', recipient_id: bob.userId }));
    expect(end).toEqual({ type: 'call_end', sender_id: alice.userId });
    expect((await callStats()).active_calls).toBe(before.active_calls);
    expect((await callStats()).call_events_relayed).toBe(before.call_events_relayed + 5);

    // Ended: nothing more goes through, and the sender learns why.
    expect(await ask(sb, { type: 'ice_candidate', recipient_id: alice.userId, candidate: CANDIDATE })).toEqual({
      type: 'error',
      error_code: 'CALL_NOT_FOUND',
      detail: expect.any(String),
    });
    await roundTrip(sa);
    expect(sa.frames.filter((f) => f.type === 'ice_candidate')).toHaveLength(1);
    // The sender got no frame of its own for any forwarded event.
    expect(sa.frames.map((f) => f.type)).toEqual(['call_answer', 'ice_candidate', 'pong']);
    close();
  });

  test('a sender cannot forge sender_id, and recipient_id is not passed on', async () => {
    const { alice, bob, sa, sb, close } = await pair();
    const offer = await receivedAfter(sb, () => sa.send({ type: 'call_offer', recipient_id: bob.userId, sender_id: 'someone-else', sdp: SDP }));
    expect(offer).toEqual({ type: 'call_offer', sender_id: alice.userId, sdp: SDP });
    sa.send({ type: 'call_end', recipient_id: bob.userId });
    await sb.next((f) => f.type === 'call_end');
    close();
  });

  test('call_reject closes the call opened by the offer', async () => {
    const { alice, bob, sa, sb, close } = await pair();
    await receivedAfter(sb, () => sa.send({ type: 'call_offer', recipient_id: bob.userId, sdp: SDP }));
    expect(await receivedAfter(sa, () => sb.send({ type: 'call_reject', recipient_id: alice.userId, reason: 'busy' }))).toEqual({
      type: 'call_reject',
      sender_id: bob.userId,
      reason: 'busy',
    });
    expect((await ask(sb, { type: 'call_answer', recipient_id: alice.userId, sdp: SDP })).error_code).toBe('CALL_NOT_FOUND');
    close();
  });

  test('a third user cannot inject events into an open call', async () => {
    const { alice, bob, sa, sb, close } = await pair();
    const mallory = await account(srv);
    const sm = await connectAs(srv, mallory);
    await receivedAfter(sb, () => sa.send({ type: 'call_offer', recipient_id: bob.userId, sdp: SDP }));
    for (const type of ['call_answer', 'ice_candidate', 'call_end', 'call_reject']) {
      expect(await ask(sm, { type, recipient_id: alice.userId, sdp: SDP, candidate: CANDIDATE })).toEqual({
        type: 'error',
        error_code: 'CALL_NOT_FOUND',
        detail: expect.any(String),
      });
    }
    await roundTrip(sa);
    expect(sa.frames.filter((f) => f.sender_id === mallory.userId)).toEqual([]);
    // The real call is still open.
    expect(await receivedAfter(sa, () => sb.send({ type: 'call_answer', recipient_id: alice.userId, sdp: SDP }))).toMatchObject({
      type: 'call_answer',
      sender_id: bob.userId,
    });
    sa.send({ type: 'call_end', recipient_id: bob.userId });
    await sb.next((f) => f.type === 'call_end');
    sm.ws.close();
    close();
  });
});

describe('refused call events', () => {
  test('an event other than an offer without an open call is CALL_NOT_FOUND and is not forwarded', async () => {
    const { alice, bob, sa, sb, close } = await pair();
    for (const type of ['call_answer', 'ice_candidate', 'call_end', 'call_reject']) {
      expect(await ask(sa, { type, recipient_id: bob.userId, sdp: SDP })).toEqual({ type: 'error', error_code: 'CALL_NOT_FOUND', detail: expect.any(String) });
    }
    await roundTrip(sb);
    expect(sb.frames.map((f) => f.type)).toEqual(['pong']);
    void alice;
    close();
  });

  test('an offer to an offline user is RECIPIENT_OFFLINE and leaves no call open', async () => {
    const alice = await account(srv);
    const carol = await account(srv);
    const sa = await connectAs(srv, alice);
    const before = (await callStats()).active_calls;
    expect(await ask(sa, { type: 'call_offer', recipient_id: carol.userId, sdp: SDP })).toEqual({
      type: 'error',
      error_code: 'RECIPIENT_OFFLINE',
      detail: expect.any(String),
    });
    expect((await callStats()).active_calls).toBe(before);
    // Carol comes online: no stale call exists, and the offer was not queued for her.
    const sc = await connectAs(srv, carol);
    expect((await ask(sc, { type: 'call_answer', recipient_id: alice.userId, sdp: SDP })).error_code).toBe('CALL_NOT_FOUND');
    expect(sc.frames.filter((f) => f.type === 'call_offer')).toEqual([]);
    sa.ws.close();
    sc.ws.close();
  });

  test('a peer that went offline mid-call: the next event is RECIPIENT_OFFLINE', async () => {
    const { bob, sa, sb } = await pair();
    await receivedAfter(sb, () => sa.send({ type: 'call_offer', recipient_id: bob.userId, sdp: SDP }));
    sb.ws.close();
    await sb.closed;
    await eventually(async () => (await statusFigure(srv, 'account_connections')) === 1);
    expect(await ask(sa, { type: 'ice_candidate', recipient_id: bob.userId, candidate: CANDIDATE })).toEqual({
      type: 'error',
      error_code: 'RECIPIENT_OFFLINE',
      detail: expect.any(String),
    });
    sa.ws.close();
  });

  test('an offer to an unknown user id is RECIPIENT_OFFLINE; a missing recipient_id is INVALID_RECIPIENT', async () => {
    const alice = await account(srv);
    const sa = await connectAs(srv, alice);
    expect((await ask(sa, { type: 'call_offer', recipient_id: '00000000-0000-4000-8000-000000000000', sdp: SDP })).error_code).toBe('RECIPIENT_OFFLINE');
    expect((await ask(sa, { type: 'call_offer', sdp: SDP })).error_code).toBe('INVALID_RECIPIENT');
    expect((await ask(sa, { type: 'call_offer', recipient_id: 5, sdp: SDP })).error_code).toBe('INVALID_RECIPIENT');
    await roundTrip(sa);
    sa.ws.close();
  });

  test('call events are never queued for later', async () => {
    const alice = await account(srv);
    const bob = await account(srv);
    const sa = await connectAs(srv, alice);
    await ask(sa, { type: 'call_offer', recipient_id: bob.userId, sdp: SDP });
    const sb = await connectAs(srv, bob);
    await roundTrip(sb);
    expect(sb.frames.map((f) => f.type)).toEqual(['pong']);
    sa.ws.close();
    sb.ws.close();
  });
});
