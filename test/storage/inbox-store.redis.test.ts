import type { Redis } from 'ioredis';
import { describe, expect, test } from 'vitest';
import type { NewMessage } from '../../src/features/relay/inbox-store.js';
import { closeRedis } from '../../src/redis/redis-connection.js';
import { createRedisInboxStore } from '../../src/storage/redis/redis-inbox-store.js';
import { useRedisScratch } from '../support/redis-scratch.js';
import { requireRedis } from '../support/services.js';
import { useBackend } from './backends.js';
import { inboxStoreContract, type InboxBackend } from './inbox-store.contract.js';
import { capOf } from './queue-caps.js';

const available = await requireRedis('test/storage/inbox-store.redis.test.ts');

/** The contract's tables, as the Redis keys that play their rows. */
const ROW_KEYS: Record<string, string> = { inbox_messages: 'm:*', send_receipts: 'r:*' };

/**
 * Every contract test runs unchanged: the ephemeral store promises everything the port asks. (What it
 * does not promise, surviving a Redis that loses its data, no contract test asserts.)
 */
describe.runIf(available)('Redis inbox store', () => {
  const scratch = useRedisScratch();
  const backend = useBackend(async (): Promise<InboxBackend> => {
    const nodes: Redis[] = [];
    const reset = async () => {
      await Promise.all(nodes.splice(0).map(closeRedis));
      await scratch.clear();
    };
    return {
      async node() {
        const redis = await scratch.connect();
        nodes.push(redis);
        return createRedisInboxStore(redis, { keyPrefix: scratch.prefix });
      },
      rows: async (table) => (await scratch.keys(ROW_KEYS[table])).length,
      reset,
      close: reset,
    };
  });
  inboxStoreContract(backend);

  const message = (n: number, overrides: Partial<NewMessage> = {}): NewMessage => ({
    recipient: 'r'.repeat(64),
    from: 'f'.repeat(64),
    enc_pub: 'e'.repeat(64),
    message: 'bQ==',
    signature: `s${n}`,
    timestamp: 1_000 + n,
    replayKey: `k${n}`,
    expiresAt: null,
    replayExpiresAt: 1_000 + 3_600,
    fromAddress: '127.0.0.1',
    ...overrides,
  });
  const queueKey = `q:${'r'.repeat(64)}`;
  const ttl = async (key: string) => (await scratch.admin()).ttl(scratch.prefix + key);

  test('a queue and its messages expire with the messages; a message without expiry keeps the queue', async () => {
    const store = await backend().node();
    const first = await store.enqueue(message(1, { expiresAt: 1_060 }), capOf(10), 1_000);
    if (first.status !== 'queued') throw new Error('not queued');
    expect(await ttl(`m:${first.message.id}`)).toBe(60);
    expect(await ttl(queueKey)).toBe(60);
    expect(await ttl('r:k1')).toBe(3_600);
    await store.enqueue(message(2, { expiresAt: 1_100 }), capOf(10), 1_000);
    expect(await ttl(queueKey)).toBe(100); // renewed on write to the longest-lived message
    await store.enqueue(message(3, { expiresAt: 1_030 }), capOf(10), 1_000);
    expect(await ttl(queueKey)).toBe(100); // never shortened
    await store.enqueue(message(4), capOf(10), 1_000);
    expect(await ttl(queueKey)).toBe(-1);
    await store.enqueue(message(5, { expiresAt: 1_030 }), capOf(10), 1_000);
    expect(await ttl(queueKey)).toBe(-1);
  });

  test('a message dropped by its key TTL is never handed out, counts until the purge, and the purge counts it', async () => {
    const store = await backend().node();
    const gone = await store.enqueue(message(1, { expiresAt: 1_060 }), capOf(10), 1_000);
    await store.enqueue(message(2), capOf(10), 1_000);
    if (gone.status !== 'queued') throw new Error('not queued');
    await (await scratch.admin()).del(`${scratch.prefix}m:${gone.message.id}`); // what the TTL does
    expect(await store.lease(message(0).recipient, [gone.message.id], 2_000, 1_001)).toEqual([]);
    expect(await store.totalQueued()).toBe(2);
    expect(await store.enqueue(message(3), capOf(2), 1_001)).toEqual({ status: 'full', cap: 'recipient' });
    expect(await store.purgeExpired(1_060)).toBe(1);
    expect(await store.totalQueued()).toBe(1);
    expect(await store.enqueue(message(3), capOf(2), 1_061)).toMatchObject({ status: 'queued' });
  });

  test('purgeExpired works through more than one batch', async () => {
    const store = await backend().node();
    await Promise.all(Array.from({ length: 2_500 }, (_, n) => store.enqueue(message(n, { expiresAt: 1_010 }), capOf(5_000), 1_000)));
    expect(await store.purgeExpired(1_010)).toBe(2_500);
    expect(await store.totalQueued()).toBe(0);
    for (const left of ['m:*', 'q:*', 'expiring']) expect(await scratch.keys(left)).toEqual([]);
  });

  test('releaseAll clears no lease: another node may be pushing that message right now', async () => {
    const [pushing, restarted] = [await backend().node(), await backend().node()];
    await pushing.enqueue(message(1), capOf(10), 1_000);
    expect(await pushing.lease(message(1).recipient, 'all', 1_100, 1_000)).toHaveLength(1);
    await restarted.releaseAll();
    expect(await restarted.drain(message(1).recipient, 0, 10, 1_050)).toEqual([]);
  });

  test('works on after Redis lost its script cache (restart, SCRIPT FLUSH)', async () => {
    const store = await backend().node();
    await store.enqueue(message(1), capOf(10), 1_000);
    await (await scratch.admin()).script('FLUSH');
    expect(await store.drain(message(1).recipient, 0, 10, 1_000)).toHaveLength(1);
  });
});
