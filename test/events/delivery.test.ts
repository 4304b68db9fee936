/** Chat-app events end to end: POST /api/events, WS /ws/{user_id}, sequence, ACK and redelivery. */
import { describe, expect, test } from 'vitest';
import { WhisprError, type ChatEvent } from 'whispr-sdk';
import { eventually } from '../support/test-server.js';
import { sleep } from '../relay/helpers.js';
import { message, payloadText, useEventServer } from './event-kit.js';

const kit = useEventServer({ event_redelivery_seconds: 0.6, event_window: 10 });

describe('chat-app events', () => {
  test('a live event reaches the recipient with a server sequence and the original envelope', async () => {
    const [alice, bob] = [await kit.user(), await kit.user()];
    const bobSocket = await kit.socket(bob);
    await bobSocket.sync(); // online before the post
    const posted = await alice.events.post({ ...message(alice, bob, 'hello'), timestamp: 1_764_000_000_000 });
    // Whether bob is online is not said: the answer would be a presence oracle for any sender.
    expect(posted).toEqual({ success: true, event_id: expect.any(String) });
    const [event] = await bobSocket.waitEvents(1);
    expect(event).toEqual({
      event_id: posted.event_id,
      recipient_id: bob.id,
      sender_id: alice.id,
      event_type: 'MESSAGE',
      sequence: 1,
      timestamp: 1_764_000_000_000,
      metadata: { chat_id: `${alice.id}:${bob.id}` },
      encrypted_payload: Buffer.from('hello').toString('base64'),
    });
  });

  test('events for an offline user wait, arrive in order on connect, and an ACK removes them for good', async () => {
    const [alice, bob] = [await kit.user(), await kit.user()];
    for (let i = 0; i < 5; i++) {
      const posted = await alice.events.post(message(alice, bob, `m${i}`));
      expect(posted.success).toBe(true);
    }
    const first = await kit.socket(bob);
    const events = await first.waitEvents(5);
    expect(events.map(payloadText)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(events.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5]);
    for (const e of events.slice(0, 3)) first.ack(e.event_id);
    await first.sync();
    first.ws.close();
    // The two unacknowledged ones come again on the next connection, the acknowledged ones never.
    const second = await kit.socket(bob);
    const again = await second.waitEvents(2);
    expect((await second.upToMarker(alice)).map(payloadText)).toEqual(['m3', 'm4', 'marker']);
    expect(again.map((e) => e.event_id)).toEqual(events.slice(3).map((e) => e.event_id));
  });

  test('an unacknowledged event is sent again after the redelivery timeout, same id and sequence', async () => {
    const [alice, bob] = [await kit.user(), await kit.user()];
    const socket = await kit.socket(bob);
    await socket.sync();
    const posted = await alice.events.post(message(alice, bob, 'retry me'));
    await socket.waitEvents(1);
    await socket.waitEvents(2, 3_000);
    const [a, b] = socket.events();
    expect(b?.event_id).toBe(posted.event_id);
    expect(b?.sequence).toBe(a?.sequence);
    socket.ack(posted.event_id);
    await socket.sync();
    // Acknowledged: no further copies, even after more than the redelivery timeout.
    // (Nothing to wait for but time itself: a lower bound, which a slow machine only lengthens.)
    const count = socket.events().length;
    await sleep(1_500);
    expect(socket.events().length).toBe(count);
  });

  test('the sequence keeps growing after the queue drained', async () => {
    const [alice, bob] = [await kit.user(), await kit.user()];
    const socket = await kit.socket(bob);
    await socket.sync();
    await alice.events.post(message(alice, bob, 'one'));
    const [one] = await socket.waitEvents(1);
    socket.ack(one!.event_id);
    await socket.sync(); // drained before the next post
    await alice.events.post(message(alice, bob, 'two'));
    const events = await socket.waitEvents(2);
    expect(events.map((e) => e.sequence)).toEqual([1, 2]);
  });

  test('posting the same event_id again answers the same id and queues nothing new', async () => {
    const [alice, bob] = [await kit.user(), await kit.user()];
    const eventId = `evt-${Date.now()}`;
    const first = await alice.events.post({ ...message(alice, bob, 'once'), event_id: eventId });
    const second = await alice.events.post({ ...message(alice, bob, 'once'), event_id: eventId });
    expect(second.event_id).toBe(first.event_id);
    const socket = await kit.socket(bob);
    expect((await socket.upToMarker(alice)).map((e) => e.event_id)).toEqual([eventId, expect.any(String)]);
  });

  test('at most event_window events are in flight; the rest follow as ACKs arrive', async () => {
    const [alice, bob] = [await kit.user(), await kit.user()];
    for (let i = 0; i < 25; i++) await alice.events.post(message(alice, bob, `w${i}`));
    const socket = await kit.socket(bob);
    await socket.waitEvents(10);
    // No event can mark 'no eleventh' (it would wait behind the window): a short wait, only lengthened by load.
    await sleep(150);
    expect(socket.events()).toHaveLength(10);
    const seen = new Set<string>();
    const ackNew = () => {
      for (const e of socket.events())
        if (!seen.has(e.event_id)) {
          seen.add(e.event_id);
          socket.ack(e.event_id);
        }
    };
    await eventually(() => {
      ackNew();
      return seen.size === 25;
    });
    const order = [...seen].map((id) => socket.events().find((e) => e.event_id === id) as ChatEvent);
    expect(order.map((e) => e.sequence)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });

  test("a socket cannot acknowledge someone else's event", async () => {
    const [alice, bob, carol] = [await kit.user(), await kit.user(), await kit.user()];
    const posted = await alice.events.post(message(alice, bob, 'for bob'));
    const carolSocket = await kit.socket(carol);
    carolSocket.ws.send(JSON.stringify({ type: 'ACK', event_id: posted.event_id, recipient_id: bob.id }));
    await carolSocket.sync(); // the ACK was handled
    const bobSocket = await kit.socket(bob);
    const [event] = await bobSocket.waitEvents(1);
    expect(event?.event_id).toBe(posted.event_id);
  });

  test('ping gets pong; malformed frames get error frames and the socket keeps working', async () => {
    const [alice, bob] = [await kit.user(), await kit.user()];
    const socket = await kit.socket(bob);
    socket.ws.send('{"type":"ping"}');
    socket.ws.send('not json');
    socket.ws.send('[1,2]');
    socket.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    socket.ws.send('{"type":"ACK","event_id":42}');
    socket.ws.send('{"type":"NOPE"}');
    await eventually(() => socket.frames.length >= 6);
    expect(socket.frames[0]).toEqual({ type: 'pong' });
    expect(socket.frames.slice(1, 6).map((f) => f.error_code)).toEqual([
      'INVALID_FRAME',
      'INVALID_FRAME',
      'INVALID_FRAME',
      'INVALID_EVENT_ID',
      'INVALID_FRAME',
    ]);
    await alice.events.post(message(alice, bob, 'still here'));
    const [event] = await socket.waitEvents(1);
    expect(payloadText(event!)).toBe('still here');
  });
});

describe('POST /api/events refusals', () => {
  const post = (token: string | undefined, body: string) =>
    fetch(`${kit.srv.url}/api/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
      body,
    });

  test('sender_id must be the caller (403), the recipient must exist (404), a token is required (401)', async () => {
    const [alice, bob] = [await kit.user(), await kit.user()];
    await expect(bob.events.post(message(alice, bob, 'forged'))).rejects.toMatchObject({ status: 403, detail: 'Sender ID mismatch' });
    await expect(alice.events.post({ ...message(alice, bob, 'x'), recipient_id: 'user_nobody' })).rejects.toMatchObject({ status: 404 });
    expect((await post(undefined, JSON.stringify({ ...message(alice, bob, 'x'), sequence: 0, timestamp: 0 }))).status).toBe(401);
    const bobSocket = await kit.socket(bob);
    expect((await bobSocket.upToMarker(alice)).map(payloadText)).toEqual(['marker']);
  });

  test('malformed bodies are refused with 4xx and nothing is queued', async () => {
    const [alice, bob] = [await kit.user(), await kit.user()];
    const valid = { ...message(alice, bob, 'x'), sequence: 0, timestamp: 0 };
    const bodies = [
      '{not json',
      '[]',
      '"text"',
      JSON.stringify({ ...valid, encrypted_payload: 'not base64!' }),
      JSON.stringify({ ...valid, sequence: 'one' }),
      JSON.stringify({ ...valid, timestamp: -5 }),
      JSON.stringify({ ...valid, metadata: [] }),
      JSON.stringify({ ...valid, event_type: '' }),
      JSON.stringify({ ...valid, recipient_id: 'x'.repeat(500) }),
      JSON.stringify(valid).replace('"timestamp":0', '"timestamp":1e309'),
      JSON.stringify(valid).replace('"MESSAGE"', '"\\ud800"'),
    ];
    for (const body of bodies) {
      const response = await post(alice.token, body);
      expect(response.status, body).toBeGreaterThanOrEqual(400);
      expect(response.status, body).toBeLessThan(500);
    }
    const socket = await kit.socket(bob);
    expect((await socket.upToMarker(alice)).map(payloadText)).toEqual(['marker']);
  });

  test('the SDK surfaces refusals as WhisprError', async () => {
    const [alice] = [await kit.user()];
    const error = await alice.events.post(message(alice, alice, '')).then(
      () => undefined,
      (err: unknown) => err,
    );
    // An empty payload is valid base64: an event to oneself is allowed.
    expect(error).toBeUndefined();
    await expect(alice.events.post({ ...message(alice, alice, 'x'), sender_id: 'user_other' })).rejects.toBeInstanceOf(WhisprError);
  });
});

describe('WS /ws/{user_id} in strict mode', () => {
  test('needs the ID token of that very user', async () => {
    const [alice, bob] = [await kit.user(), await kit.user()];
    const { refusedStatus, wsUrl } = await import('../relay/helpers.js');
    expect(await refusedStatus(wsUrl(kit.srv.url, `/ws/${bob.id}`))).toBe(401);
    expect(await refusedStatus(wsUrl(kit.srv.url, `/ws/${bob.id}?token=${alice.token}`))).toBe(403);
    expect(await refusedStatus(wsUrl(kit.srv.url, `/ws/${bob.id}?token=garbage`))).toBe(401);
  });
});
