/** What every InboxStore driver must do, single-node and with two nodes on one database. */
import { expect, test } from 'vitest';
import type { InboxStore, NewMessage } from '../../src/features/relay/inbox-store.js';
import type { Backend, SqlBackend } from './backends.js';
import { capOf } from './queue-caps.js';

export const INBOX_TABLES = ['inbox_messages', 'send_receipts'];

const ALICE = 'a'.repeat(64);
const BOB = 'b'.repeat(64);

/** Message `n` to `recipient`; never expires unless `expiresAt` says otherwise. */
const message = (recipient: string, n: number, overrides: Partial<NewMessage> = {}): NewMessage => ({
  recipient,
  from: 'f'.repeat(64),
  enc_pub: 'e'.repeat(64),
  message: Buffer.from(`ciphertext ${n}`).toString('base64'),
  signature: `sig-${recipient.slice(0, 4)}-${n}`,
  timestamp: 1000 + n + 0.125,
  replayKey: `replay-${recipient.slice(0, 4)}-${n}`,
  expiresAt: null,
  replayExpiresAt: 100_000,
  fromAddress: '127.0.0.1',
  ...overrides,
});

const texts = (messages: Array<{ message: string }>) => messages.map((m) => Buffer.from(m.message, 'base64').toString());

async function queueAll(store: InboxStore, messages: NewMessage[], now = 1000): Promise<number[]> {
  const ids: number[] = [];
  for (const m of messages) {
    const result = await store.enqueue(m, capOf(1000), now);
    if (result.status !== 'queued') throw new Error(`not queued: ${result.status}`);
    ids.push(result.message.id);
  }
  return ids;
}

/** What the suite needs of a backend: nodes, and counting rows (for Redis: the keys that play them). */
export type InboxBackend = Backend<InboxStore> & Pick<SqlBackend<InboxStore>, 'rows'>;

export function inboxStoreContract(backend: () => InboxBackend): void {
  test('waiting names the recipients with a message ready to lease: not leased, expired or drained', async () => {
    const store = await backend().node();
    const CAROL = 'c'.repeat(64);
    const DAVE = 'd'.repeat(64);
    await queueAll(store, [message(ALICE, 1), message(BOB, 2), message(CAROL, 3, { expiresAt: 1500 })]);
    expect((await store.waiting([ALICE, BOB, CAROL, DAVE], 1000)).sort()).toEqual([ALICE, BOB, CAROL].sort());
    await store.lease(BOB, 'all', 2000, 1000);
    // Bob's message is leased until 2000, Carol's expired at 1500.
    expect((await store.waiting([ALICE, BOB, CAROL, DAVE], 1600)).sort()).toEqual([ALICE]);
    // Bob's lease ran out (its node died): his message is ready again.
    expect((await store.waiting([ALICE, BOB], 2001)).sort()).toEqual([ALICE, BOB].sort());
    await store.drain(ALICE, 0, 10, 2001);
    expect(await store.waiting([ALICE], 2001)).toEqual([]);
    expect(await store.waiting([], 2001)).toEqual([]);
  });

  test('enqueue answers the wire message; drain hands out and removes oldest first, per recipient', async () => {
    const store = await backend().node();
    const first = await store.enqueue(message(ALICE, 1), capOf(10), 1000);
    const { replayKey: _r, expiresAt: _e, replayExpiresAt: _x, fromAddress: _a, ...wire } = message(ALICE, 1);
    expect(first).toEqual({ status: 'queued', message: { id: expect.any(Number), ...wire } });
    await queueAll(store, [message(BOB, 2), message(ALICE, 3), message(ALICE, 4)]);

    const drained = await store.drain(ALICE, 0, 10, 1000);
    expect(texts(drained)).toEqual(['ciphertext 1', 'ciphertext 3', 'ciphertext 4']);
    expect(drained[0]).toEqual(first.status === 'queued' ? first.message : undefined);
    expect(drained.map((m) => m.timestamp)).toEqual([1001.125, 1003.125, 1004.125]);
    expect(await store.drain(ALICE, 0, 10, 1000)).toEqual([]);
    expect(await store.totalQueued()).toBe(1);
  });

  test('drain: timestamp strictly after since, at most limit, never leased or expired messages', async () => {
    const store = await backend().node();
    await queueAll(
      store,
      [1, 2, 3, 4, 5].map((n) => message(ALICE, n)),
    );
    await store.enqueue(message(ALICE, 6, { expiresAt: 1500 }), capOf(10), 1000);
    expect(texts(await store.drain(ALICE, 1002.125, 2, 1000))).toEqual(['ciphertext 3', 'ciphertext 4']);
    await store.lease(ALICE, 'all', 1100, 1000); // leases 1, 2, 5, 6
    expect(await store.drain(ALICE, 0, 10, 1050)).toEqual([]);
    // After the lease ran out: 6 has expired by now (not handed out), the others are back.
    expect(texts(await store.drain(ALICE, 0, 10, 1500))).toEqual(['ciphertext 1', 'ciphertext 2', 'ciphertext 5']);
  });

  test('a replayed send is a duplicate of the original, also after delivery, until its receipt expires', async () => {
    const store = await backend().node();
    const original = await store.enqueue(message(ALICE, 1, { replayExpiresAt: 2000 }), capOf(10), 1000);
    if (original.status !== 'queued') throw new Error('not queued');
    const replay = message(ALICE, 1, { timestamp: 1500, replayExpiresAt: 2500 });
    expect(await store.enqueue(replay, capOf(10), 1001)).toEqual({ status: 'duplicate', id: original.message.id, timestamp: 1001.125 });
    await store.drain(ALICE, 0, 10, 1002);
    expect(await store.enqueue(replay, capOf(10), 1999)).toMatchObject({ status: 'duplicate', id: original.message.id });
    // The receipt ran out: the same signature is a new message now.
    const again = await store.enqueue(replay, capOf(10), 2000);
    expect(again).toMatchObject({ status: 'queued', message: { timestamp: 1500 } });
    expect(await store.enqueue(replay, capOf(10), 2001)).toMatchObject({ status: 'duplicate', timestamp: 1500 });
  });

  test('a full queue refuses (leased and expired-but-unpurged messages count) until messages leave', async () => {
    const store = await backend().node();
    await store.enqueue(message(ALICE, 1, { expiresAt: 1100 }), capOf(3), 1000);
    await store.enqueue(message(ALICE, 2), capOf(3), 1000);
    await store.enqueue(message(ALICE, 3), capOf(3), 1000);
    await store.lease(ALICE, 'all', 2000, 1000);
    expect(await store.enqueue(message(ALICE, 4), capOf(3), 1200)).toEqual({ status: 'full', cap: 'recipient' });
    expect(await store.enqueue(message(BOB, 4), capOf(3), 1200)).toMatchObject({ status: 'queued' }); // per recipient
    // A refused send left no receipt: once there is room it is accepted.
    expect(await store.purgeExpired(1200)).toBe(1);
    expect(await store.enqueue(message(ALICE, 4), capOf(3), 1200)).toMatchObject({ status: 'queued' });
    expect(await store.enqueue(message(ALICE, 5), capOf(3), 1200)).toEqual({ status: 'full', cap: 'recipient' });
  });

  test("one sender, and one sending address, hold at most their share of a recipient's queue; others still get in", async () => {
    const store = await backend().node();
    const caps = { total: 10, perSender: 3, perAddress: 5 };
    const from = (sender: string, address: string) => ({ from: sender.repeat(64), fromAddress: address });
    const send = (recipient: string, n: number, origin: Partial<NewMessage>) => store.enqueue(message(recipient, n, origin), caps, 1000);
    for (const n of [1, 2, 3]) expect(await send(ALICE, n, from('1', '10.0.0.1'))).toMatchObject({ status: 'queued' });
    expect(await send(ALICE, 4, from('1', '10.0.0.1'))).toEqual({ status: 'full', cap: 'sender' });
    expect(await send(BOB, 4, from('1', '10.0.0.1'))).toMatchObject({ status: 'queued' }); // per recipient
    // Fresh keys from the same address: the address's share runs out at 5.
    expect(await send(ALICE, 5, from('2', '10.0.0.1'))).toMatchObject({ status: 'queued' });
    expect(await send(ALICE, 6, from('3', '10.0.0.1'))).toMatchObject({ status: 'queued' });
    expect(await send(ALICE, 7, from('4', '10.0.0.1'))).toEqual({ status: 'full', cap: 'address' });
    // Someone else, elsewhere: served.
    expect(await send(ALICE, 8, from('5', '2001:db8::/64'))).toMatchObject({ status: 'queued' });
    // Once the recipient fetched, the shares are free again.
    expect(await store.drain(ALICE, 0, 10, 1000)).toHaveLength(6);
    expect(await send(ALICE, 9, from('1', '10.0.0.1'))).toMatchObject({ status: 'queued' });
  });

  test('lease hides messages from every other lease and drain until remove, release or expiry of the lease', async () => {
    const store = await backend().node();
    const ids = await queueAll(
      store,
      [1, 2, 3, 4].map((n) => message(ALICE, n)),
    );
    const [id1, id2, id3, id4] = ids as [number, number, number, number];
    expect((await store.lease(ALICE, [id3, id1], 1060, 1000)).map((m) => m.id)).toEqual([id1, id3]);
    expect((await store.lease(ALICE, [id1, id2], 1060, 1000)).map((m) => m.id)).toEqual([id2]);
    expect((await store.lease(BOB, [id4], 1060, 1000)).map((m) => m.id)).toEqual([]); // someone else's message
    expect((await store.lease(ALICE, 'all', 1060, 1000)).map((m) => m.id)).toEqual([id4]);
    expect(await store.lease(ALICE, 'all', 1060, 1030)).toEqual([]);

    await store.remove([id1]);
    await store.release([id2]);
    expect((await store.lease(ALICE, 'all', 1100, 1030)).map((m) => m.id)).toEqual([id2]);
    // id3 and id4 come back when their lease ends; id1 is gone for good.
    expect((await store.lease(ALICE, 'all', 1200, 1060)).map((m) => m.id)).toEqual([id3, id4]);
    await store.remove([id2, id3, id4]);
    expect(await store.totalQueued()).toBe(0);
  });

  test('purgeExpired removes expired messages and receipts, and counts the messages', async () => {
    const store = await backend().node();
    await store.enqueue(message(ALICE, 1, { expiresAt: 1100, replayExpiresAt: 1100 }), capOf(10), 1000);
    await store.enqueue(message(ALICE, 2, { expiresAt: 1200, replayExpiresAt: 1200 }), capOf(10), 1000);
    await store.enqueue(message(BOB, 3, { expiresAt: null, replayExpiresAt: 1100 }), capOf(10), 1000);
    expect(await store.purgeExpired(1099)).toBe(0);
    expect(await store.purgeExpired(1100)).toBe(1);
    expect(await store.totalQueued()).toBe(2);
    expect(await backend().rows('send_receipts')).toBe(1);
    expect(await store.purgeExpired(5000)).toBe(1);
    expect(await store.totalQueued()).toBe(1); // a message without expiry stays
    expect(await backend().rows('send_receipts')).toBe(0);
  });

  test('two nodes, 200 messages, concurrent leases and drains: every message is handed out exactly once', async () => {
    const nodes = [await backend().node(), await backend().node()];
    const queued = await Promise.all(Array.from({ length: 200 }, (_, n) => (nodes[n % 2] as InboxStore).enqueue(message(ALICE, n), capOf(1000), 1000)));
    const ids = queued.map((r) => (r.status === 'queued' ? r.message.id : -1));
    expect(new Set(ids).size).toBe(200);

    const handedOut: number[] = [];
    const claim = async (node: InboxStore, round: number) => {
      const batch =
        round % 3 === 0 ? await node.drain(ALICE, 0, 7, 1000) : await node.lease(ALICE, round % 3 === 1 ? 'all' : ids.slice(round, round + 40), 2000, 1000);
      handedOut.push(...batch.map((m) => m.id));
    };
    await Promise.all(Array.from({ length: 60 }, (_, round) => claim(nodes[round % 2] as InboxStore, round)));
    // Whatever no round claimed (if any) goes to a last lease.
    await claim(nodes[0] as InboxStore, 1);
    expect(handedOut.sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
  });

  test('sends made at the same moment are answered as if made one after the other: replays, shares and the cap', async () => {
    const store = await backend().node();
    const caps = { total: 4, perSender: 2, perAddress: 4 };
    const bySender = (n: number, sender: string) => message(ALICE, n, { from: sender.repeat(64) });
    const results = await Promise.all([
      store.enqueue(bySender(1, '1'), caps, 1000),
      store.enqueue(bySender(1, '1'), caps, 1000), // the same signed message again
      store.enqueue(bySender(2, '1'), caps, 1000),
      store.enqueue(bySender(3, '1'), caps, 1000), // the sender's share is used up
      store.enqueue(message(BOB, 3, { replayKey: bySender(3, '1').replayKey }), caps, 1000), // refused above, so not a replay here
      store.enqueue(bySender(4, '2'), caps, 1000),
      store.enqueue(bySender(5, '3'), caps, 1000),
      store.enqueue(bySender(6, '4'), caps, 1000), // the queue is full
    ]);
    const [first, replay, second, share, elsewhere, third, fourth, full] = results;
    if (first?.status !== 'queued' || second?.status !== 'queued') throw new Error('not queued');
    expect(replay).toEqual({ status: 'duplicate', id: first.message.id, timestamp: first.message.timestamp });
    expect(share).toEqual({ status: 'full', cap: 'sender' });
    expect(elsewhere).toMatchObject({ status: 'queued', message: { recipient: BOB } });
    expect([third?.status, fourth?.status]).toEqual(['queued', 'queued']);
    expect(full).toEqual({ status: 'full', cap: 'recipient' });
    expect(texts(await store.drain(ALICE, 0, 10, 1000))).toEqual(['ciphertext 1', 'ciphertext 2', 'ciphertext 4', 'ciphertext 5']);
  });

  test('two nodes enqueueing at once never pass the cap, and a replay is queued once', async () => {
    const nodes = [await backend().node(), await backend().node()];
    const on = (i: number) => nodes[i % 2] as InboxStore;
    const results = await Promise.all(Array.from({ length: 120 }, (_, n) => on(n).enqueue(message(ALICE, n), capOf(50), 1000)));
    expect(results.filter((r) => r.status === 'queued')).toHaveLength(50);
    expect(results.filter((r) => r.status === 'full')).toHaveLength(70);
    expect(await on(0).totalQueued()).toBe(50);

    const replays = await Promise.all(Array.from({ length: 20 }, (_, i) => on(i).enqueue(message(BOB, 7), capOf(50), 1000)));
    const queued = replays.filter((r) => r.status === 'queued');
    expect(queued).toHaveLength(1);
    const id = queued[0]?.status === 'queued' ? queued[0].message.id : undefined;
    expect(replays.filter((r) => r.status === 'duplicate' && r.id === id)).toHaveLength(19);
  });
}
