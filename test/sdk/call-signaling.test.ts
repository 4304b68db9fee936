/**
 * SDK calls: an invitation sealed in a direct message, then offer, answer, candidates and hang-up
 * over a real server's /signal, encrypted under the invitation's key; what anyone else puts in the
 * call is dropped; TURN credentials for the identity's key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CallInvite,
  type CallRole,
  type CallSignal,
  CallSignaling,
  callInviteOf,
  encodeCallInvite,
  newCallInvite,
  type WhisprClient,
  WhisprError,
} from 'whispr-sdk';
import { collectFrames, openWs, wsUrl } from '../relay/helpers.js';
import { eventually, startServer, type RunningServer } from '../support/test-server.js';

/** One side of a call with everything it heard. */
interface Side {
  signaling: CallSignaling;
  signals: CallSignal[];
  events: string[];
}

async function side(client: WhisprClient, invite: CallInvite, role: CallRole): Promise<Side> {
  const signals: CallSignal[] = [];
  const events: string[] = [];
  const signaling = await CallSignaling.join(client, invite, role, {
    onSignal: (signal) => signals.push(signal),
    onPeerJoin: () => events.push('peer-join'),
    onPeerLeave: () => events.push('peer-leave'),
    onError: (code) => events.push(code),
  });
  return { signaling, signals, events };
}

/** A raw /signal socket (any signed-in key) in `callId`, with the frames it gets. */
async function joinedSocket(callId: string): Promise<{ ws: Awaited<ReturnType<typeof openWs>>; frames: Array<Record<string, unknown>> }> {
  const ws = await openWs(wsUrl(srv.url, `/signal?token=${await srv.client().authenticate('x25519')}`));
  const frames = collectFrames(ws);
  ws.send(JSON.stringify({ type: 'join', call_id: callId }));
  return { ws, frames };
}

let srv: RunningServer;

describe('SDK: call signaling (CallSignaling, call invitations, TURN credentials)', () => {
  beforeAll(async () => {
    srv = await startServer({ turn_secret: 'sdk-test-secret', turn_urls: ['turn:127.0.0.1:3478?transport=udp'] });
  });
  afterAll(async () => {
    await srv.stop();
  });

  it('the callee finds the invitation in a signed message; offer, answer and candidates cross end to end; hang-up reaches the caller', async () => {
    const [alice, bob] = [srv.client(), srv.client()];
    const invite = newCallInvite(true);
    await alice.send(bob.address, encodeCallInvite(invite));
    const [message] = await bob.fetchInbox();
    const opened = bob.open(message!);
    expect(opened.verified).toBe(true);
    expect(message!.from).toBe(alice.signingKey);
    const received = callInviteOf(opened.plaintext);
    expect(received).toEqual(invite);

    const caller = await side(alice, invite, 'caller');
    const callee = await side(bob, received!, 'callee');
    await eventually(() => caller.events.includes('peer-join'));
    const offer: CallSignal = { kind: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' };
    const candidate: CallSignal = { kind: 'candidate', candidate: 'candidate:1 1 udp 41885439 127.0.0.1 50000 typ relay', sdpMid: '0', sdpMLineIndex: 0 };
    callee.signaling.send({ kind: 'ringing' });
    caller.signaling.send(offer);
    await eventually(() => callee.signals.length === 1);
    callee.signaling.send({ kind: 'answer', sdp: 'v=0\r\n' });
    callee.signaling.send(candidate);
    await eventually(() => caller.signals.length === 3);
    expect(callee.signals).toEqual([offer]);
    expect(caller.signals).toEqual([{ kind: 'ringing' }, { kind: 'answer', sdp: 'v=0\r\n' }, candidate]);

    callee.signaling.send({ kind: 'hangup' });
    callee.signaling.leave();
    await eventually(() => caller.events.includes('peer-leave'));
    expect(caller.signals.at(-1)).toEqual({ kind: 'hangup' });
    expect(callee.signaling.send({ kind: 'hangup' })).toBe(false);
    caller.signaling.leave();
  });

  it("what the server relays is opaque; payloads under another key, a side's own signals sent back to it and junk are dropped", async () => {
    const alice = srv.client();
    const invite = newCallInvite(false);
    const caller = await side(alice, invite, 'caller');
    // Someone who knows the call_id (the server, say) but not the key joins in the callee's place.
    const intruder = await joinedSocket(invite.call_id);
    await eventually(() => caller.events.includes('peer-join'));
    caller.signaling.send({ kind: 'offer', sdp: 'v=0\r\nsecret-sdp\r\n' });
    await eventually(() => intruder.frames.length === 1);
    expect(JSON.stringify(intruder.frames[0])).not.toContain('secret-sdp');
    const reflected = intruder.frames[0]!.payload as Record<string, unknown>;
    expect(Object.keys(reflected)).toEqual(['enc']);

    // A genuine callee's signal, but of another call (another key).
    const otherInvite = newCallInvite(false);
    const spy = await joinedSocket(otherInvite.call_id);
    const otherCallee = await side(srv.client(), otherInvite, 'callee');
    await eventually(() => spy.frames.some((f) => f.type === 'peer-join'));
    otherCallee.signaling.send({ kind: 'hangup' });
    await eventually(() => spy.frames.some((f) => f.type === 'signal'));
    const foreign = spy.frames.find((f) => f.type === 'signal')!.payload;

    for (const payload of [foreign, reflected, { enc: 'bm90IGEgc2lnbmFs' }, { enc: 12 }, 'plain text', { sdp: { type: 'answer', sdp: 'v=0\r\n' } }])
      intruder.ws.send(JSON.stringify({ type: 'signal', call_id: invite.call_id, payload }));
    // The server handles one socket's frames in order: peer-leave comes after all of them.
    intruder.ws.close();
    await eventually(() => caller.events.includes('peer-leave'));
    expect(caller.signals).toEqual([]);
    spy.ws.close();
    caller.signaling.leave();
    otherCallee.signaling.leave();
  });

  it("TURN credentials name the identity's key; a server without TURN says so", async () => {
    const client = srv.client();
    const credentials = await client.turnCredentials();
    expect(credentials.username).toMatch(new RegExp(`^\\d+:${client.address}$`));
    expect(credentials.ice_servers).toContainEqual({
      urls: ['turn:127.0.0.1:3478?transport=udp'],
      username: credentials.username,
      credential: credentials.credential,
    });

    const bare = await startServer();
    try {
      const refusal = await bare
        .client()
        .turnCredentials()
        .catch((err: unknown) => err);
      expect(refusal).toBeInstanceOf(WhisprError);
      expect((refusal as WhisprError).errorCode).toBe('TURN_NOT_CONFIGURED');
    } finally {
      await bare.stop();
    }
  });
});
