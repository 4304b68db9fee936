/**
 * A test file's share of the test Redis: a random key prefix, connections opened through
 * connectRedis (named with the prefix, closed after the file) and removal of the file's keys, so
 * parallel files and other users of the Redis are untouched.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll } from 'vitest';
import { closeRedis, connectRedis } from '../../src/redis/redis-connection.js';
import { REDIS_URL } from './services.js';

export interface RedisScratch {
  /** `whispr_t_<random>:`, the start of every key the file uses. */
  prefix: string;
  /** A new connection (another node's), closed after the file unless the test closes it. */
  connect(): Promise<Redis>;
  /** One connection for looking at and changing keys directly. */
  admin(): Promise<Redis>;
  /** The file's keys matching `pattern` after the prefix. */
  keys(pattern?: string): Promise<string[]>;
  /** Deletes every key of the file. */
  clear(): Promise<void>;
}

/** Call at the top of a describe; afterAll deletes the keys and closes the connections. */
export function useRedisScratch(): RedisScratch {
  const prefix = `whispr_t_${randomBytes(6).toString('hex')}:`;
  const connections: Redis[] = [];
  let admin: Redis | undefined;
  const connect = async () => {
    const redis = await connectRedis(REDIS_URL, `${prefix}node`, () => undefined);
    connections.push(redis);
    return redis;
  };
  const getAdmin = async () => (admin ??= await connect());
  const keys = async (pattern = '*') => (await getAdmin()).keys(prefix + pattern);
  const clear = async () => {
    const left = await keys();
    if (left.length > 0) await (await getAdmin()).del(...left);
  };
  afterAll(async () => {
    await clear();
    await Promise.all(connections.map(closeRedis));
  });
  return { prefix, connect, admin: getAdmin, keys, clear };
}
