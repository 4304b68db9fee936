/** What every UserQueueStore driver must do, single-node and with two nodes on one database. */
import { expect, test } from 'vitest';
import type { AppendResult, NewEvent, QueuedEvent, UserQueueStore } from '../../src/features/queues/user-queue-store.js';
import type { SqlBackend } from './backends.js';
import { capOf } from './queue-caps.js';

export const USER_QUEUE_TABLES = ['user_queue_events', 'user_queue_counters'];

const ALICE = 'user-alice';
const BOB = 'user-bob';
const CAROL = 'user-carol';

/** Event `n` for `recipientId`; never expires unless `expiresAt` says otherwise. */
const event = (recipientId: string, n: number, overrides: Partial<NewEvent> = {}): NewEvent => ({
  recipientId,
  eventId: `event-${n}`,
  body: JSON.stringify({ type: 'message', n }),
  createdAt: 1000 + n + 0.25,
  expiresAt: null,
  origin: null,
  ...overrides,
});

/** The event as the store hands it back: numbered, its origin kept to itself. */
const stored = ({ origin: _o, ...event }: NewEvent, seq: number): QueuedEvent => ({ ...event, seq });

const seqs = (events: QueuedEvent[]) => events.map((e) => e.seq);
const queuedSeq = (result: AppendResult) => (result.status === 'queued' ? result.event.seq : -1);

async function appendAll(store: UserQueueStore, events: NewEvent[], maxQueued = 1000): Promise<number[]> {
  const results = [];
  for (const e of events) results.push(await store.append(e, capOf(maxQueued)));
  return results.map(queuedSeq);
}

export function userQueueStoreContract(backend: () => SqlBackend<UserQueueStore>): void {
  test('nonEmpty names the recipients with an unexpired event queued', async () => {
    const store = await backend().node();
    await appendAll(store, [event(ALICE, 1), event(BOB, 2, { expiresAt: 1500 })]);
    expect((await store.nonEmpty([ALICE, BOB, 'nobody'], 1000)).sort()).toEqual([ALICE, BOB].sort());
    expect(await store.nonEmpty([ALICE, BOB], 1600)).toEqual([ALICE]);
    await store.ack(ALICE, 'event-1');
    expect(await store.nonEmpty([ALICE, BOB], 1600)).toEqual([]);
    expect(await store.nonEmpty([], 1600)).toEqual([]);
  });

  test('append numbers each recipient from 1; list hands out unexpired events after afterSeq in seq order, at most limit', async () => {
    const store = await backend().node();
    expect(await store.append(event(ALICE, 1), capOf(10))).toEqual({ status: 'queued', event: stored(event(ALICE, 1), 1) });
    expect(await appendAll(store, [event(BOB, 2), event(ALICE, 3), event(ALICE, 4, { expiresAt: 1500 }), event(ALICE, 5)])).toEqual([1, 2, 3, 4]);

    const listed = await store.list(ALICE, 0, 10, 1000);
    expect(listed[0]).toEqual(stored(event(ALICE, 1), 1));
    expect(listed.map((e) => [e.seq, e.eventId])).toEqual([
      [1, 'event-1'],
      [2, 'event-3'],
      [3, 'event-4'],
      [4, 'event-5'],
    ]);
    expect(seqs(await store.list(ALICE, 1, 2, 1000))).toEqual([2, 3]);
    // Listing removes nothing, and an event is gone from the list the moment it expires.
    expect(seqs(await store.list(ALICE, 0, 10, 1499.5))).toEqual([1, 2, 3, 4]);
    expect(seqs(await store.list(ALICE, 0, 10, 1500))).toEqual([1, 2, 4]);
    expect(seqs(await store.list(BOB, 0, 10, 1000))).toEqual([1]);
    expect(await store.list('nobody', 0, 10, 1000)).toEqual([]);
    expect(await store.depth()).toBe(5);
  });

  test('a known event id is a duplicate answering the stored event, also once expired, until it leaves; ids are per recipient', async () => {
    const store = await backend().node();
    await store.append(event(ALICE, 1, { expiresAt: 1100 }), capOf(10));
    const kept = stored(event(ALICE, 1, { expiresAt: 1100 }), 1);
    const replay = event(ALICE, 1, { body: '{"other":true}', createdAt: 2000 });
    expect(await store.append(replay, capOf(10))).toEqual({ status: 'duplicate', event: kept });
    expect(await store.append(event(BOB, 1), capOf(10))).toMatchObject({ status: 'queued', event: { recipientId: BOB, seq: 1 } });

    // Expired but not purged: still known.
    expect(await store.list(ALICE, 0, 10, 1200)).toEqual([]);
    expect(await store.append(replay, capOf(10))).toEqual({ status: 'duplicate', event: kept });
    // Acknowledged: the same id is a new event, with the next number.
    expect(await store.ack(ALICE, 'event-1')).toBe(true);
    expect(await store.append(replay, capOf(10))).toEqual({ status: 'queued', event: stored(replay, 2) });
  });

  test('sequence numbers only grow: a drained queue continues where it stopped', async () => {
    const store = await backend().node();
    await appendAll(
      store,
      [1, 2, 3].map((n) => event(ALICE, n, { expiresAt: 1100 })),
    );
    expect(await store.ack(ALICE, 'event-1')).toBe(true);
    expect(await store.purgeExpired(1100)).toBe(2);
    expect(await store.depth()).toBe(0);
    expect(await appendAll(store, [event(ALICE, 4), event(ALICE, 5)])).toEqual([4, 5]);
    expect(seqs(await store.list(ALICE, 0, 10, 1200))).toEqual([4, 5]);
  });

  test('a full queue refuses (expired but unpurged events count) until events leave; a refusal takes no number', async () => {
    const store = await backend().node();
    await store.append(event(ALICE, 1, { expiresAt: 1100 }), capOf(3));
    await appendAll(store, [event(ALICE, 2), event(ALICE, 3)], 3);
    expect(await store.append(event(ALICE, 4), capOf(3))).toEqual({ status: 'full', cap: 'recipient' });
    expect(await store.append(event(ALICE, 2), capOf(3))).toMatchObject({ status: 'duplicate' }); // a known id is answered, full or not
    expect(await store.append(event(BOB, 4), capOf(3))).toMatchObject({ status: 'queued' }); // per recipient
    expect(await store.append(event(ALICE, 4), capOf(4))).toMatchObject({ status: 'queued', event: { seq: 4 } }); // the cap is the caller's

    expect(await store.append(event(ALICE, 5), capOf(4))).toEqual({ status: 'full', cap: 'recipient' });
    expect(await store.purgeExpired(1200)).toBe(1);
    expect(await store.append(event(ALICE, 5), capOf(4))).toMatchObject({ status: 'queued', event: { seq: 5 } });
  });

  test('ack removes one event of one recipient; false when it is not queued', async () => {
    const store = await backend().node();
    await appendAll(store, [event(ALICE, 1), event(ALICE, 2), event(BOB, 1)]);
    expect(await store.ack(ALICE, 'event-1')).toBe(true);
    expect(await store.ack(ALICE, 'event-1')).toBe(false);
    expect(await store.ack(ALICE, 'event-9')).toBe(false);
    expect(await store.ack('nobody', 'event-2')).toBe(false);
    expect(seqs(await store.list(ALICE, 0, 10, 1000))).toEqual([2]);
    expect(seqs(await store.list(BOB, 0, 10, 1000))).toEqual([1]);
    expect(await store.depth()).toBe(2);
  });

  test('purgeExpired deletes events expired at or before now and counts them; depth counts expired events until then', async () => {
    const store = await backend().node();
    await appendAll(store, [event(ALICE, 1, { expiresAt: 1100 }), event(ALICE, 2, { expiresAt: 1200 }), event(BOB, 3, { expiresAt: 1100 }), event(BOB, 4)]);
    expect(await store.purgeExpired(1099.5)).toBe(0);
    expect(await store.depth()).toBe(4);
    expect(await store.purgeExpired(1100)).toBe(2);
    expect(await store.depth()).toBe(2);
    expect(await store.purgeExpired(1e9)).toBe(1);
    expect(await store.depth()).toBe(1); // no expiry: stays
    expect(await backend().rows('user_queue_counters')).toBe(2); // the counters outlive the events
  });

  test('appendEach puts each event in its own queue in one call, answered in order; a duplicate or a full queue answers for its own event only', async () => {
    const store = await backend().node();
    await appendAll(store, [event(ALICE, 1), event(ALICE, 2), event(BOB, 7)], 2);
    const replay = event(BOB, 7, { body: '{"other":true}' });
    expect(await store.appendEach([event(ALICE, 9), replay, event(CAROL, 9)], capOf(2))).toEqual([
      { status: 'full', cap: 'recipient' },
      { status: 'duplicate', event: stored(event(BOB, 7), 1) },
      { status: 'queued', event: stored(event(CAROL, 9), 1) },
    ]);
    // The refused event took no number; the next batch numbers each queue on from where it stood.
    await store.ack(ALICE, 'event-1');
    expect((await store.appendEach([event(CAROL, 10), event(ALICE, 10), event(BOB, 10)], capOf(2))).map(queuedSeq)).toEqual([2, 3, 2]);
    expect(seqs(await store.list(ALICE, 0, 10, 1000))).toEqual([2, 3]);
    expect(await store.list(CAROL, 0, 10, 1000)).toEqual([stored(event(CAROL, 9), 1), stored(event(CAROL, 10), 2)]);
    const mixed = [event(ALICE, 11, { body: 'own body' }), event(BOB, 11), event(CAROL, 11)];
    await store.appendEach(mixed, capOf(10));
    for (const e of mixed) expect((await store.list(e.recipientId, 0, 10, 1000)).at(-1)).toMatchObject({ eventId: 'event-11', body: e.body });
    expect(await store.appendEach([], capOf(2))).toEqual([]);
  });

  test('appends made at the same moment are answered as if made one after the other: replays, shares and the cap', async () => {
    const store = await backend().node();
    const caps = { total: 4, perSender: 2, perAddress: 4 };
    const by = (n: number, sender: string) => event(ALICE, n, { origin: { sender, address: `10.0.0.${sender}` } });
    const results = await Promise.all([
      store.append(by(1, '1'), caps),
      store.append(by(1, '1'), caps), // the same event again
      store.append(by(2, '1'), caps),
      store.append(by(3, '1'), caps), // the sender's share is used up
      store.appendEach([by(4, '2'), event(BOB, 4)], caps),
      store.append(by(5, '3'), caps),
      store.append(by(6, '4'), caps), // the queue is full
    ]);
    expect(results).toEqual([
      { status: 'queued', event: stored(by(1, '1'), 1) },
      { status: 'duplicate', event: stored(by(1, '1'), 1) },
      { status: 'queued', event: stored(by(2, '1'), 2) },
      { status: 'full', cap: 'sender' },
      [
        { status: 'queued', event: stored(by(4, '2'), 3) },
        { status: 'queued', event: stored(event(BOB, 4), 1) },
      ],
      { status: 'queued', event: stored(by(5, '3'), 4) },
      { status: 'full', cap: 'recipient' },
    ]);
    expect(seqs(await store.list(ALICE, 0, 10, 1000))).toEqual([1, 2, 3, 4]);
  });

  test('appendEach refuses a batch naming one recipient twice, and stores none of it', async () => {
    const store = await backend().node();
    await expect(store.appendEach([event(ALICE, 1), event(BOB, 1), event(ALICE, 2)], capOf(10))).rejects.toThrow(/different recipients/);
    expect(await store.depth()).toBe(0);
  });

  test("one sender, and one sending address, hold at most their share of a recipient's queue; the server's own events only meet the total", async () => {
    const store = await backend().node();
    const caps = { total: 8, perSender: 2, perAddress: 3 };
    const from = (sender: string, address: string) => ({ origin: { sender, address } });
    const append = (recipient: string, n: number, origin: Partial<NewEvent>) => store.append(event(recipient, n, origin), caps);
    for (const n of [1, 2]) expect(await append(ALICE, n, from('mallory', '10.0.0.1'))).toMatchObject({ status: 'queued' });
    expect(await append(ALICE, 3, from('mallory', '10.0.0.1'))).toEqual({ status: 'full', cap: 'sender' });
    expect(await append(BOB, 3, from('mallory', '10.0.0.1'))).toMatchObject({ status: 'queued' }); // per recipient
    expect(await append(ALICE, 4, from('mallory-2', '10.0.0.1'))).toMatchObject({ status: 'queued' });
    expect(await append(ALICE, 5, from('mallory-3', '10.0.0.1'))).toEqual({ status: 'full', cap: 'address' });
    // A repeated event id is still answered as a duplicate, not refused.
    expect(await append(ALICE, 1, from('mallory', '10.0.0.1'))).toMatchObject({ status: 'duplicate' });
    expect(await append(ALICE, 6, from('bystander', '2001:db8::/64'))).toMatchObject({ status: 'queued' });
    for (const n of [7, 8, 9, 10]) expect(await append(ALICE, n, { origin: null })).toMatchObject({ status: 'queued' });
    expect(await append(ALICE, 11, { origin: null })).toEqual({ status: 'full', cap: 'recipient' });
    // The same caps in a batch, and the shares free again once events leave.
    expect(await store.appendEach([event(ALICE, 12, from('mallory', '10.0.0.1')), event(CAROL, 12, from('mallory', '10.0.0.1'))], caps)).toMatchObject([
      { status: 'full', cap: 'recipient' },
      { status: 'queued' },
    ]);
    await store.ack(ALICE, 'event-1');
    await store.ack(ALICE, 'event-7');
    expect(await append(ALICE, 13, from('mallory', '10.0.0.1'))).toMatchObject({ status: 'queued' });
  });

  test('two nodes fanning out to the same 20 recipients at once, in opposite orders: each queue numbered 1..40, every event once', async () => {
    const nodes = [await backend().node(), await backend().node()];
    const recipients = Array.from({ length: 20 }, (_, i) => `user-${i}`);
    // Opposite lock orders would deadlock a driver that locked the recipients in the order given.
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, n) =>
        (nodes[n % 2] as UserQueueStore).appendEach(
          (n % 2 === 0 ? recipients : [...recipients].reverse()).map((r) => event(r, n)),
          capOf(1000),
        ),
      ),
    );
    expect(results.flat().every((r) => r.status === 'queued')).toBe(true);
    for (const recipient of recipients) {
      const listed = await (nodes[0] as UserQueueStore).list(recipient, 0, 100, 1000);
      expect(seqs(listed)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(new Set(listed.map((e) => e.eventId)).size).toBe(40);
    }
  });

  test('two nodes, 200 appends to one recipient at once: sequence numbers 1..200, each once, no gap', async () => {
    const nodes = [await backend().node(), await backend().node()];
    const results = await Promise.all(Array.from({ length: 200 }, (_, n) => (nodes[n % 2] as UserQueueStore).append(event(ALICE, n), capOf(1000))));
    expect(results.map(queuedSeq).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    const listed = await (nodes[1] as UserQueueStore).list(ALICE, 0, 1000, 1000);
    expect(seqs(listed)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    // Each event is stored under the number its append answered.
    const answered = new Map(results.map((r) => (r.status === 'queued' ? [r.event.eventId, r.event.seq] : ['', 0])));
    expect(listed.every((e) => answered.get(e.eventId) === e.seq)).toBe(true);
  });

  test('two nodes appending at once never pass the cap, and an event id is queued once', async () => {
    const nodes = [await backend().node(), await backend().node()];
    const on = (i: number) => nodes[i % 2] as UserQueueStore;
    const results = await Promise.all(Array.from({ length: 120 }, (_, n) => on(n).append(event(ALICE, n), capOf(50))));
    expect(results.filter((r) => r.status === 'queued')).toHaveLength(50);
    expect(results.filter((r) => r.status === 'full')).toHaveLength(70);
    expect(await on(0).depth()).toBe(50);
    expect(seqs(await on(1).list(ALICE, 0, 100, 1000))).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));

    const replays = await Promise.all(Array.from({ length: 20 }, (_, i) => on(i).append(event(BOB, 7, { body: `try ${i}` }), capOf(50))));
    const queued = replays.filter((r) => r.status === 'queued');
    expect(queued).toHaveLength(1);
    expect(replays.filter((r) => r.status === 'duplicate' && r.event.seq === 1 && r.event.body === queued[0]?.event.body)).toHaveLength(19);
  });
}
