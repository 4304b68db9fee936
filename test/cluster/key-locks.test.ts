/** Per-key exclusive work: within one process (KeyedLock) and across nodes (Redis). */
import { describe, expect, test } from 'vitest';
import type { KeyLocks } from '../../src/cluster/key-locks.js';
import { createRedisKeyLocks } from '../../src/cluster/redis-key-locks.js';
import { KeyedLock } from '../../src/core/keyed-lock.js';
import { useRedisScratch } from '../support/redis-scratch.js';
import { requireRedis } from '../support/services.js';

const available = await requireRedis('test/cluster/key-locks.test.ts');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `count` overlapping jobs on `key`, spread over the nodes; answers the most that ever ran at once. */
async function mostAtOnce(nodes: KeyLocks[], key: string, count: number): Promise<number> {
  let running = 0;
  let most = 0;
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      (nodes[i % nodes.length] as KeyLocks).run(key, async () => {
        running += 1;
        most = Math.max(most, running);
        await sleep(15);
        running -= 1;
      }),
    ),
  );
  return most;
}

function keyLocksContract(nodes: () => Promise<KeyLocks[]>): void {
  test('work on one key never overlaps, whichever node runs it; other keys run alongside', async () => {
    const locks = await nodes();
    expect(await mostAtOnce(locks, 'file-a', 8)).toBe(1);
    const both = await Promise.all([mostAtOnce(locks, 'file-b', 4), mostAtOnce(locks, 'file-c', 4)]);
    expect(both).toEqual([1, 1]);
  });

  test('a job that throws gives the key back', async () => {
    const [first, second = first] = await nodes();
    await expect(first!.run('file-d', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await second!.run('file-d', async () => 'next')).toBe('next');
  });
}

describe('in-process key locks', () => {
  const local = new KeyedLock();
  keyLocksContract(async () => [local]);
});

describe.skipIf(!available)('Redis key locks (two nodes)', () => {
  const scratch = useRedisScratch();
  keyLocksContract(async () => [
    createRedisKeyLocks(await scratch.connect(), { keyPrefix: `${scratch.prefix}lock:` }),
    createRedisKeyLocks(await scratch.connect(), { keyPrefix: `${scratch.prefix}lock:` }),
  ]);

  test('a lock left by a node that died expires after its TTL', async () => {
    const redis = await scratch.admin();
    await redis.set(`${scratch.prefix}lock:orphan`, 'dead-node', 'PX', 300);
    const locks = createRedisKeyLocks(await scratch.connect(), { keyPrefix: `${scratch.prefix}lock:` });
    const started = Date.now();
    expect(await locks.run('orphan', async () => 'taken')).toBe('taken');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(await scratch.keys('lock:*')).toEqual([]);
  });
});
