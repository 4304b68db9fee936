/** WS /ws/{key} and /ws?recipient={key}: flush on connect, live pushes, exactly-once delivery, sender copies, reconnects. */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createWhisprServer } from '../../src/app/whispr-server.js';
import { type InboxMessage, type WhisprClient, type PushSubscription, text, utf8 } from 'whispr-sdk';
import { eventually, startServer, type RunningServer } from '../support/test-server.js';

let srv: RunningServer;
const subscriptions: PushSubscription[] = [];
beforeAll(async () => {
  srv = await startServer({ max_messages_per_second: 10_000 });
});
afterAll(async () => {
  for (const s of subscriptions) s.close();
  await srv.stop();
});

/** Subscribes `client` and collects what it is pushed; resolves once the socket is open. */
async function subscribe(client: WhisprClient, path: 'key' | 'query' = 'key') {
  const received: InboxMessage[] = [];
  const closes: number[] = [];
  const sub = client.subscribe((m) => received.push(m), { path, onClose: (code) => closes.push(code) });
  subscriptions.push(sub);
  await sub.waitOpen();
  return { sub, received, closes };
}

describe.each(['key', 'query'] as const)('subscribe with path %s', (path) => {
  test('queued messages are flushed on connect, then live ones are pushed with `to`', async () => {
    const alice = srv.client();
    const bob = srv.client();
    const queued = [await alice.send(bob.address, 'queued 1'), await alice.send(bob.address, 'queued 2')];
    const { received } = await subscribe(bob, path);
    await eventually(() => received.length === 2);
    expect(received.map((m) => m.id)).toEqual(queued.map((q) => q.id));

    const live = await alice.send(bob.address, 'live');
    await eventually(() => received.length === 3);
    const frame = received[2]!;
    expect(frame).toEqual({
      id: live.id,
      from: alice.signingKey,
      enc_pub: alice.address,
      message: expect.any(String),
      signature: expect.any(String),
      timestamp: live.timestamp,
      to: bob.address,
    });
    expect(received.map((m) => bob.open(m))).toEqual([
      { plaintext: utf8('queued 1'), verified: true },
      { plaintext: utf8('queued 2'), verified: true },
      { plaintext: utf8('live'), verified: true },
    ]);
    // Delivered over the socket: the inbox does not hand them out a second time.
    expect(await bob.fetchInbox()).toEqual([]);
  });
});

test('every socket of a key gets a live push, and the message is removed once', async () => {
  const alice = srv.client();
  const bob = srv.client();
  const one = await subscribe(bob);
  const two = await subscribe(bob, 'query');
  const sent = await alice.send(bob.address, 'to both');
  await eventually(() => one.received.length === 1 && two.received.length === 1);
  expect(one.received[0]!.id).toBe(sent.id);
  expect(two.received[0]!.id).toBe(sent.id);
  expect(await bob.fetchInbox()).toEqual([]);
  // A marker pushed after it: a second push of the first message would have come before the marker.
  const marker = await alice.send(bob.address, 'marker');
  await eventually(() => [one, two].every((s) => s.received.some((m) => m.id === marker.id)));
  expect(one.received.map((m) => m.id)).toEqual([sent.id, marker.id]);
  expect(two.received.map((m) => m.id)).toEqual([sent.id, marker.id]);
});

test("the sender's own sockets get a copy of what it sent; the recipient still gets the message", async () => {
  const alice = srv.client();
  const bob = srv.client();
  const mine = await subscribe(alice);
  const sent = await alice.send(bob.address, 'copy me');
  await eventually(() => mine.received.length === 1);
  const copy = mine.received[0]!;
  expect(copy).toMatchObject({ id: sent.id, to: bob.address, enc_pub: alice.address, from: alice.signingKey });
  // The copy is sealed to bob: only its metadata is useful to alice, and it does not consume bob's message.
  const inbox = await bob.fetchInbox();
  expect(inbox.map((m) => m.id)).toEqual([sent.id]);
  expect(text(bob.open(inbox[0]!).plaintext)).toBe('copy me');
});

test('after the subscriber disconnects, new messages wait in the inbox', async () => {
  const alice = srv.client();
  const bob = srv.client();
  const { sub, received, closes } = await subscribe(bob);
  await alice.send(bob.address, 'while connected');
  await eventually(() => received.length === 1);
  sub.close();
  // Closed once the server answered the close: its socket is no longer open, so nothing is pushed to it.
  await eventually(() => closes.length === 1);
  const later = await alice.send(bob.address, 'after close');
  const inbox = await bob.fetchInbox();
  expect(inbox.map((m) => m.id)).toEqual([later.id]);
  expect(received).toHaveLength(1);
});

test('a socket flush, live sends and parallel /inbox fetches racing each other deliver each message exactly once', async () => {
  const bob = srv.client();
  const senders = [srv.client(), srv.client(), srv.client()];
  const send = (n: number) => Promise.all(Array.from({ length: n }, (_, i) => senders[i % 3]!.send(bob.address, `m${i}`)));
  await bob.authenticate();
  const queued = await send(100);
  const fetched: InboxMessage[] = [];
  let racing = true;
  const pollers = Array.from({ length: 4 }, async () => {
    while (racing) fetched.push(...(await bob.fetchInbox()));
  });
  // The connect flush leases what is queued while the pollers drain it.
  const { received } = await subscribe(bob);
  const live = await send(100);
  racing = false;
  await Promise.all(pollers);
  const sent = [...queued, ...live].map((s) => s.id);
  const ids = () => [...received.map((m) => m.id), ...fetched.map((m) => m.id)];
  await eventually(async () => {
    if (ids().length < sent.length) fetched.push(...(await bob.fetchInbox()));
    return ids().length >= sent.length;
  });
  // A marker pushed after everything: a second delivery of any message would have come before it.
  const marker = await senders[0]!.send(bob.address, 'marker');
  await eventually(() => received.some((m) => m.id === marker.id));
  fetched.push(...(await bob.fetchInbox()));
  expect(ids()).toHaveLength(sent.length + 1);
  expect(new Set(ids())).toEqual(new Set([...sent, marker.id]));
});

describe('server restart', () => {
  test('a subscription reconnects after the server closes it and still receives, queued messages included', async () => {
    const first = await startServer();
    const { port } = new URL(first.url);
    let second: Awaited<ReturnType<typeof createWhisprServer>> | undefined;
    try {
      const alice = first.client();
      const bob = first.client();
      const { sub, received, closes } = await subscribe(bob);
      await alice.send(bob.address, 'before');
      await eventually(() => received.length === 1);

      await first.server.close();
      await eventually(() => !sub.isOpen);
      // Same address and data directory: a restart, with the token secret and the queue on disk.
      second = await createWhisprServer({ ...first.config, port: Number(port) }, { logger: first.server.log });
      await second.listen();
      const whileAway = await alice.send(bob.address, 'while reconnecting');
      await sub.waitOpen();
      await eventually(() => received.length === 2, 10_000);
      const live = await alice.send(bob.address, 'after');
      await eventually(() => received.length === 3, 10_000);
      expect(closes[0]).toBe(1012);
      expect(received.map((m) => m.id).slice(1)).toEqual([whileAway.id, live.id]);
      expect(received.map((m) => text(bob.open(m).plaintext))).toEqual(['before', 'while reconnecting', 'after']);
    } finally {
      for (const s of subscriptions.splice(0)) s.close();
      await second?.close();
      rmSync(first.dataDir, { recursive: true, force: true });
    }
  });
});
