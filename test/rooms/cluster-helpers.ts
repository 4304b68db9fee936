/** Two Whispr nodes on one Redis (bus=redis), with a key prefix of their own, for the cluster tests of rooms and calls. */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Config } from '../../src/config/settings.js';
import { REDIS_URL } from '../support/services.js';
import { startServer, type RunningServer } from '../support/test-server.js';

/** A prefix no other test file or deployment uses, for channels, keys and connection names. */
export const testPrefix = (): string => `whispr_t_${randomBytes(6).toString('hex')}:`;

export async function startNodes(overrides: Partial<Config> = {}): Promise<{ prefix: string; nodes: [RunningServer, RunningServer] }> {
  const prefix = testPrefix();
  // One token secret, as every node of a deployment has: a token from one node is good on the other.
  const settings: Partial<Config> = { bus: 'redis', redis_url: REDIS_URL, redis_prefix: prefix, jwt_secret: randomBytes(32).toString('hex'), ...overrides };
  return { prefix, nodes: [await startServer(settings), await startServer(settings)] };
}

/** Removes the keys under `prefix`. */
export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}
