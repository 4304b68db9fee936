/** encrypted_message over /ws?token=: durable queueing, live and offline delivery, error frames, queue caps. */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { encryptedMessage } from 'whispr-sdk';
import { statusFigures } from '../support/server-status.js';
import { eventually, startServer, type RunningServer } from '../support/test-server.js';
import { account, accountSocket, ask, connectAs, LIFTED, roundTrip, type AccountSocket } from './account-kit.js';

const MAX = 64;
const ISO_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

let srv: RunningServer;
beforeAll(async () => {
  srv = await startServer({ ...LIFTED, max_message_size: MAX, max_messages_per_recipient: 50 });
});
afterAll(() => srv.stop());

/** The server's private figures (/metrics; /health keeps them to itself). */
const health = statusFigures;
const message = (to: string, payload: string) => ({ type: 'encrypted_message', recipient_id: to, payload });
const received = (socket: AccountSocket) => socket.frames.filter((f) => f.type === 'encrypted_message');

describe('delivery', () => {
  test('live: the sender gets {type: sent, message_id, recipient_id}; the recipient the message with sender, timestamp and id', async () => {
    const [alice, bob] = [await account(srv), await account(srv)];
    const [sa, sb] = [await connectAs(srv, alice), await connectAs(srv, bob)];
    const payload = randomBytes(40).toString('base64');
    const before = Date.now();
    const sent = await ask(sa, message(bob.userId, payload));
    expect(sent).toEqual({ type: 'sent', message_id: expect.stringMatching(/^[0-9a-f-]{36}$/), recipient_id: bob.userId });
    const got = await sb.next((f) => f.type === 'encrypted_message');
    expect(got).toEqual({ type: 'encrypted_message', sender_id: alice.userId, payload, timestamp: expect.stringMatching(ISO_Z), message_id: sent.message_id });
    const at = Date.parse(got.timestamp as string);
    expect(at).toBeGreaterThanOrEqual(before - 5);
    expect(at).toBeLessThanOrEqual(Date.now() + 5);
    // Delivered live means it is no longer queued.
    await eventually(async () => (await health(srv)).queued_user_events === 0);
    expect(received(sa)).toEqual([]);
    sa.ws.close();
    sb.ws.close();
  });

  test('offline: 20 messages are kept, flushed in order on connect with their ids, and removed once written', async () => {
    const [alice, bob] = [await account(srv), await account(srv)];
    const sa = await connectAs(srv, alice);
    const ids: unknown[] = [];
    for (let i = 0; i < 20; i++) ids.push((await ask(sa, message(bob.userId, Buffer.from(`m${i}`).toString('base64')))).message_id);
    expect(new Set(ids).size).toBe(20);

    const sb = await connectAs(srv, bob);
    await eventually(() => received(sb).length === 20);
    expect(received(sb).map((f) => Buffer.from(f.payload as string, 'base64').toString())).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
    expect(received(sb).map((f) => f.message_id)).toEqual(ids);
    expect(new Set(received(sb).map((f) => f.sender_id))).toEqual(new Set([alice.userId]));
    sb.ws.close();

    // Reconnect: nothing again. A fresh message is the first and only one to arrive.
    const again = await connectAs(srv, bob);
    const marker = await ask(sa, message(bob.userId, 'bWFya2Vy'));
    await again.next((f) => f.message_id === marker.message_id);
    expect(received(again).map((f) => f.message_id)).toEqual([marker.message_id]);
    again.ws.close();
    sa.ws.close();
  });

  test('messages sent while connecting are neither lost nor duplicated, and arrive in order', async () => {
    const [alice, bob] = [await account(srv), await account(srv)];
    const sa = await connectAs(srv, alice);
    const token = await bob.accessToken();
    const ids: unknown[] = [];
    for (let i = 0; i < 5; i++) ids.push((await ask(sa, message(bob.userId, Buffer.from(`a${i}`).toString('base64')))).message_id);
    const connecting = accountSocket(srv, token);
    for (let i = 5; i < 25; i++) ids.push((await ask(sa, message(bob.userId, Buffer.from(`a${i}`).toString('base64')))).message_id);
    const sb = await connecting;
    await eventually(() => received(sb).length >= 25);
    await roundTrip(sb);
    expect(received(sb).map((f) => f.message_id)).toEqual(ids);
    sa.ws.close();
    sb.ws.close();
  });

  test('the SDK: AccountClient.connect() receives what encryptedMessage() frames send', async () => {
    const [alice, bob] = [await account(srv), await account(srv)];
    const got: Array<Record<string, unknown>> = [];
    const subA = alice.connect({ onFrame: () => {} });
    const subB = bob.connect({ onFrame: (f) => got.push(f) });
    try {
      await Promise.all([subA.waitOpen(), subB.waitOpen()]);
      expect(subA.send(encryptedMessage(bob.userId, Buffer.from('hello bob')))).toBe(true);
      await eventually(() => got.some((f) => f.type === 'encrypted_message'));
      const frame = got.find((f) => f.type === 'encrypted_message')!;
      expect(Buffer.from(frame.payload as string, 'base64').toString()).toBe('hello bob');
      expect(frame.sender_id).toBe(alice.userId);
    } finally {
      subA.close();
      subB.close();
    }
  });

  test('a message to oneself is delivered like any other', async () => {
    const alice = await account(srv);
    const sa = await connectAs(srv, alice);
    sa.send(message(alice.userId, 'c2VsZg=='));
    const sent = await sa.next((f) => f.type === 'sent');
    expect(sent.recipient_id).toBe(alice.userId);
    // The ack and the delivery may come in either order.
    expect(await sa.next((f) => f.type === 'encrypted_message')).toMatchObject({ sender_id: alice.userId, payload: 'c2VsZg==', message_id: sent.message_id });
    sa.ws.close();
  });
});

describe('refused frames: an error frame, nothing queued, and the socket stays usable', () => {
  let alice: Awaited<ReturnType<typeof account>>;
  let bob: Awaited<ReturnType<typeof account>>;
  let sa: AccountSocket;
  beforeAll(async () => {
    [alice, bob] = [await account(srv), await account(srv)];
    sa = await connectAs(srv, alice);
  });
  afterAll(() => sa.ws.close());

  const errorOf = (frame: Record<string, unknown>) => {
    expect(frame).toEqual({ type: 'error', error_code: expect.any(String), detail: expect.any(String) });
    return frame.error_code;
  };

  test.each([
    ['an unknown recipient', () => message(randomUUID(), 'aGk='), 'RECIPIENT_NOT_FOUND'],
    ['a recipient_id that is a number', () => message(42 as unknown as string, 'aGk='), 'INVALID_RECIPIENT'],
    ['no recipient_id', () => ({ type: 'encrypted_message', payload: 'aGk=' }), 'INVALID_RECIPIENT'],
    ['a recipient_id of 65 characters', () => message('a'.repeat(65), 'aGk='), 'INVALID_RECIPIENT'],
    ['a payload that is not base64', () => message(bob.userId, 'not base64!'), 'INVALID_PAYLOAD'],
    ['a payload without padding', () => message(bob.userId, 'aGk'), 'INVALID_PAYLOAD'],
    ['a payload that is a number', () => message(bob.userId, 7 as unknown as string), 'INVALID_PAYLOAD'],
    ['no payload', () => ({ type: 'encrypted_message', recipient_id: bob.userId }), 'INVALID_PAYLOAD'],
    ['a payload one byte over max_message_size', () => message(bob.userId, randomBytes(MAX + 1).toString('base64')), 'MESSAGE_TOO_LARGE'],
    ['a payload twice max_message_size', () => message(bob.userId, randomBytes(2 * MAX).toString('base64')), 'MESSAGE_TOO_LARGE'],
    ['an unknown type', () => ({ type: 'hello', recipient_id: bob.userId }), 'UNKNOWN_TYPE'],
    ['no type', () => ({ recipient_id: bob.userId, payload: 'aGk=' }), 'UNKNOWN_TYPE'],
    ['a type that is not a string', () => ({ type: ['encrypted_message'] }), 'UNKNOWN_TYPE'],
    ['text that is not JSON', () => '{"type": "ping"', 'INVALID_FRAME'],
    ['a JSON array', () => '[{"type":"ping"}]', 'INVALID_FRAME'],
    ['a JSON string', () => '"ping"', 'INVALID_FRAME'],
    ['a JSON number', () => '42', 'INVALID_FRAME'],
    ['JSON null', () => 'null', 'INVALID_FRAME'],
  ])('%s', async (_name, frame, code) => {
    const before = (await health(srv)).queued_user_events;
    expect(errorOf(await ask(sa, frame()))).toBe(code);
    await roundTrip(sa);
    expect((await health(srv)).queued_user_events).toBe(before);
  });

  test('a binary frame, even one holding valid JSON, is INVALID_FRAME', async () => {
    expect(errorOf(await ask(sa, message(bob.userId, 'aGk='), { binary: true }))).toBe('INVALID_FRAME');
    await roundTrip(sa);
  });

  test('a frame far over the size limit closes that socket with 1009 (and nothing is queued)', async () => {
    const own = await connectAs(srv, await account(srv));
    const before = (await health(srv)).queued_user_events;
    own.send(message(bob.userId, randomBytes(6_000).toString('base64')));
    expect((await own.closed).code).toBe(1009);
    expect((await health(srv)).queued_user_events).toBe(before);
  });

  test('a payload of exactly max_message_size bytes is accepted', async () => {
    expect((await ask(sa, message(bob.userId, randomBytes(MAX).toString('base64')))).type).toBe('sent');
  });

  test('after a run of refused frames, a good message still goes through and only it is delivered', async () => {
    const carol = await account(srv);
    for (const bad of ['nope', '[]', message(carol.userId, '%%%%'), { type: 'x' }, message(carol.userId, randomBytes(MAX + 3).toString('base64'))]) {
      expect((await ask(sa, bad)).type).toBe('error');
    }
    const sent = await ask(sa, message(carol.userId, 'b2s='));
    expect(sent.type).toBe('sent');
    const sc = await connectAs(srv, carol);
    await sc.next((f) => f.message_id === sent.message_id);
    await roundTrip(sc);
    expect(received(sc).map((f) => f.payload)).toEqual(['b2s=']);
    sc.ws.close();
  });
});

describe('queue caps', () => {
  test('past max_messages_per_recipient the sender gets QUEUE_FULL; nothing is dropped; room again once delivered', async () => {
    const small = await startServer({ ...LIFTED, max_messages_per_recipient: 3 });
    try {
      const [alice, bob] = [await account(small), await account(small)];
      const sa = await connectAs(small, alice);
      const ids = [];
      for (let i = 0; i < 3; i++) {
        const sent = await ask(sa, message(bob.userId, Buffer.from(`q${i}`).toString('base64')));
        expect(sent.type).toBe('sent');
        ids.push(sent.message_id);
      }
      const refused = await ask(sa, message(bob.userId, 'cTM='));
      expect(refused).toEqual({ type: 'error', error_code: 'QUEUE_FULL', detail: expect.any(String) });
      // Another recipient's queue is separate.
      const carol = await account(small);
      expect((await ask(sa, message(carol.userId, 'cTM='))).type).toBe('sent');

      const sb = await connectAs(small, bob);
      await eventually(() => received(sb).length === 3);
      expect(received(sb).map((f) => f.message_id)).toEqual(ids);
      await eventually(async () => (await health(small)).queued_user_events === 1);
      // Drained: new messages are accepted (and delivered live).
      const after = await ask(sa, message(bob.userId, 'cTQ='));
      expect(after.type).toBe('sent');
      await sb.next((f) => f.message_id === after.message_id);
      sa.ws.close();
      sb.ws.close();
    } finally {
      await small.stop();
    }
  });
});

describe('status', () => {
  test('the status (/metrics, admin API) counts accounts, account connections and queued messages', async () => {
    const fresh = await startServer({ ...LIFTED });
    try {
      expect(await health(fresh)).toMatchObject({ accounts: 0, account_connections: 0, queued_user_events: 0 });
      const [alice, bob] = [await account(fresh), await account(fresh)];
      const sa = await connectAs(fresh, alice);
      for (let i = 0; i < 3; i++) await ask(sa, message(bob.userId, 'aGk='));
      expect(await health(fresh)).toMatchObject({ accounts: 2, account_connections: 1, queued_user_events: 3 });
      const sb = await connectAs(fresh, bob);
      await eventually(async () => {
        const h = await health(fresh);
        return h.account_connections === 2 && h.queued_user_events === 0;
      });
      sa.ws.close();
      sb.ws.close();
      await eventually(async () => (await health(fresh)).account_connections === 0);
    } finally {
      await fresh.stop();
    }
  });
});
