// The reader behind chat-event and account sockets: a wake-up that carries the event just queued
// sends it without reading the queue back when it is the next in line; anything else (a gap, a full
// window, a wake-up without an event) reads the queue, so order and at-least-once hold either way.
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { NewEvent, QueuedEvent, UserQueueStore } from '../../src/features/queues/index.js';
import { QueueReader } from '../../src/features/queues/queue-reader.js';
import { createSqliteUserQueueStore } from '../../src/storage/sqlite/sqlite-user-queue-store.js';
import { USER_QUEUE_TABLES } from '../storage/user-queue-store.contract.js';
import { type SqlBackend, sqliteBackend } from '../storage/backends.js';

const CAPS = { total: 100, perSender: 100, perAddress: 100 };
const NOW = 1_000;

describe('QueueReader', () => {
  let backend: SqlBackend<UserQueueStore>;
  let store: UserQueueStore;
  let serial = 0;

  beforeAll(async () => {
    backend = await sqliteBackend(createSqliteUserQueueStore, USER_QUEUE_TABLES)();
    store = await backend.node();
  });
  afterAll(() => backend.close());

  /** Appends an event to `queue` and answers it as stored (numbered). */
  const append = async (queue: string, expiresAt: number | null = null): Promise<QueuedEvent> => {
    serial += 1;
    const event: NewEvent = { recipientId: queue, eventId: `e${serial}`, body: `{"n":${serial}}`, createdAt: NOW, expiresAt, origin: null };
    const result = await store.append(event, CAPS);
    if (result.status !== 'queued') throw new Error(result.status);
    return result.event;
  };

  /** A reader on a fresh queue with a socket that records what it was sent, and a count of the queue reads. */
  const reader = (queue: string, removeOn: 'ack' | 'written', window = 4) => {
    const sent: string[] = [];
    const list = vi.spyOn(store, 'list');
    const r = new QueueReader(
      queue,
      {
        send: async (frame) => {
          sent.push(frame);
          return true;
        },
      },
      { store, now: () => NOW, removeOn, window, redeliverAfterMs: 60_000, frame: (e) => e.eventId, onError: (err) => expect.fail(String(err)) },
    );
    const settled = () => vi.waitFor(() => expect((r as unknown as { running: boolean }).running).toBe(false));
    return { r, sent, reads: () => list.mock.calls.filter(([id]) => id === queue).length, settled };
  };

  test('the next event in line goes out without a read, and its acknowledgement reads nothing; a gap, an old event and a wake-up without an event are read from the queue', async () => {
    const q = reader('ack-q', 'ack');
    q.r.wake(); // the socket opened: it reads what is queued (nothing)
    await q.settled();
    expect(q.reads()).toBe(1);

    const first = await append('ack-q');
    q.r.wake(first);
    await q.settled();
    expect(q.sent).toEqual([first.eventId]);
    expect(q.reads()).toBe(1);
    // Its acknowledgement leaves nothing unread behind: no read either.
    expect(await q.r.ack(first.eventId)).toBe(true);
    await q.settled();
    expect(q.reads()).toBe(1);

    const second = await append('ack-q');
    const third = await append('ack-q');
    q.r.wake(third); // its wake-up came first: a gap, so the queue is read, in order
    await q.settled();
    expect(q.sent).toEqual([first.eventId, second.eventId, third.eventId]);
    expect(q.reads()).toBe(2);

    q.r.wake(second); // late, already sent: nothing happens
    await q.settled();
    expect(q.sent).toHaveLength(3);
    expect(q.reads()).toBe(2);

    q.r.wake(); // a sweep's wake-up reads
    await q.settled();
    expect(q.reads()).toBe(3);
    expect(q.sent).toHaveLength(3);
    q.r.close();
  });

  test('a full window holds the event back until an acknowledgement makes room; then it is read and sent in order', async () => {
    const q = reader('window-q', 'ack', 1);
    q.r.wake();
    await q.settled();
    const first = await append('window-q');
    q.r.wake(first);
    await q.settled();
    const second = await append('window-q');
    q.r.wake(second);
    await q.settled();
    expect(q.sent).toEqual([first.eventId]);
    expect(await q.r.ack(first.eventId)).toBe(true);
    await q.settled();
    expect(q.sent).toEqual([first.eventId, second.eventId]);
    q.r.close();
  });

  test('written mode: an event sent without a read still leaves the queue once written; an expired one is not sent', async () => {
    const q = reader('written-q', 'written');
    q.r.wake();
    await q.settled();
    const first = await append('written-q');
    q.r.wake(first);
    await q.settled();
    expect(q.sent).toEqual([first.eventId]);
    expect(q.reads()).toBe(1);
    await vi.waitFor(async () => expect(await store.list('written-q', 0, 10, NOW)).toEqual([]));

    const expired = await append('written-q', NOW - 1);
    q.r.wake(expired);
    await q.settled();
    expect(q.sent).toEqual([first.eventId]);
    q.r.close();
  });
});
