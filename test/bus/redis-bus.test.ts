import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { MessageBus } from '../../src/bus/message-bus.js';
import { createRedisBus } from '../../src/bus/redis-bus.js';
import { eventually } from '../support/eventually.js';
import { FAILS_FAST_MS } from '../support/fails-fast.js';
import { REDIS_URL, requireRedis } from '../support/services.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { messageBusContract } from './message-bus.contract.js';

const available = await requireRedis('test/bus/redis-bus.test.ts');
const UNAVAILABLE = { status: 503, code: 'REDIS_UNAVAILABLE' };

describe.runIf(available)('Redis bus', () => {
  // Channels and connection names of this file only, so parallel files and other users of the Redis are untouched.
  const prefix = `whispr_t_${randomBytes(6).toString('hex')}:`;
  const buses: MessageBus[] = [];
  const errors: unknown[] = [];
  let admin: Redis;
  const open = async (url = REDIS_URL) => {
    const bus = await createRedisBus(url, { channelPrefix: prefix, onError: (error) => errors.push(error) });
    buses.push(bus);
    return bus;
  };
  const subscribers = async (channel: string) => (await admin.pubsub('NUMSUB', prefix + channel))[1];
  /** Kills the Redis connections of this file's buses, as a Redis restart would. */
  const killConnections = async () => {
    const list = String(await admin.client('LIST'));
    const ids = [...list.matchAll(/^id=(\d+) .*name=(\S+)/gm)].filter((m) => m[2]?.startsWith(prefix)).map((m) => m[1] as string);
    expect(ids.length).toBeGreaterThanOrEqual(2);
    for (const id of ids) await admin.client('KILL', 'ID', id);
  };

  beforeAll(async () => {
    admin = new Redis(REDIS_URL);
  });
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((bus) => bus.close()));
    errors.length = 0;
  });
  afterAll(() => admin.quit());

  messageBusContract(() => ({ node: () => open() }));

  test('handlers of one node share one Redis subscription, dropped with the last handler', async () => {
    const [a, b] = [await open(), await open()];
    const unsubscribeA1 = await a.subscribe('numsub', () => undefined);
    const unsubscribeA2 = await a.subscribe('numsub', () => undefined);
    expect(await subscribers('numsub')).toBe(1);
    await b.subscribe('numsub', () => undefined);
    expect(await subscribers('numsub')).toBe(2);
    await unsubscribeA1();
    expect(await subscribers('numsub')).toBe(2);
    await unsubscribeA2();
    expect(await subscribers('numsub')).toBe(1);
  });

  test('after its connections are killed a node resubscribes exactly its live channels and delivery resumes', async () => {
    const [publisher, subscriber] = [await open(), await open()];
    const received: unknown[] = [];
    await subscriber.subscribe('survivor', (payload) => void received.push(payload));
    const unsubscribe = await subscriber.subscribe('dropped', () => undefined);
    await unsubscribe();
    await killConnections();
    await eventually(async () => {
      await publisher.publish('survivor', 'after restart').catch(() => undefined); // rejected while reconnecting
      return received.length > 0;
    });
    expect(received[0]).toBe('after restart');
    expect(await subscribers('survivor')).toBe(1);
    expect(await subscribers('dropped')).toBe(0);
  });

  test('while Redis is down publish and subscribe reject at once with 503; once it is back, delivery resumes', async () => {
    const proxy = await startTcpProxy('127.0.0.1', Number(new URL(REDIS_URL).port || 6379));
    const url = new URL(REDIS_URL);
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    const [publisher, subscriber] = [await open(url.toString()), await open(url.toString())];
    const received: unknown[] = [];
    await subscriber.subscribe('outage', (payload) => void received.push(payload));

    await proxy.down();
    const started = Date.now();
    await expect(publisher.publish('outage', 'lost')).rejects.toMatchObject(UNAVAILABLE);
    await expect(subscriber.subscribe('new-channel', () => undefined)).rejects.toMatchObject(UNAVAILABLE);
    expect(Date.now() - started).toBeLessThan(FAILS_FAST_MS);
    await eventually(() => errors.length > 0); // failed reconnects are reported

    await proxy.up();
    await eventually(async () => {
      await publisher.publish('outage', 'back').catch(() => undefined);
      return received.length > 0;
    });
    expect(received[0]).toBe('back');
    await proxy.down();
  });

  test('a throwing handler or an unparsable payload is reported and harms no other delivery', async () => {
    const [publisher, subscriber] = [await open(), await open()];
    const received: unknown[] = [];
    await subscriber.subscribe('faults', () => {
      throw new Error('handler bug');
    });
    await subscriber.subscribe('faults', (payload) => void received.push(payload));
    await admin.publish(`${prefix}faults`, 'not json');
    await publisher.publish('faults', { ok: true });
    await eventually(() => received.length === 1);
    expect(received).toEqual([{ ok: true }]);
    expect(errors.map((e) => (e as Error).constructor.name)).toEqual(['SyntaxError', 'Error']);
  });

  test('a bus that cannot reach Redis at start rejects with 503', async () => {
    await expect(createRedisBus('redis://127.0.0.1:1', { onError: () => undefined })).rejects.toMatchObject(UNAVAILABLE);
  });
});
