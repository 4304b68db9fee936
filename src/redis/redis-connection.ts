import { Redis } from 'ioredis';
import { mapOutage } from '../core/outage.js';

/** Anything but a reply from Redis itself (NOSCRIPT, WRONGTYPE, ...) means Redis could not be reached. */
const isRedisUnavailable = (error: unknown): boolean => error instanceof Error && error.name !== 'ReplyError';

/** Runs a Redis call so that an outage surfaces as 503 REDIS_UNAVAILABLE rather than a hang or a 500. */
export const guardRedis = <T>(work: () => Promise<T>): Promise<T> =>
  mapOutage(work, isRedisUnavailable, 'REDIS_UNAVAILABLE', 'Redis is unavailable; try again shortly');

/**
 * A connection that fails fast instead of queueing: a command issued while Redis is unreachable
 * rejects at once (no offline queue), and one in flight when the connection drops rejects rather
 * than being resent later (maxRetriesPerRequest 0: a late PUBLISH or token take is worse than an
 * error). The client keeps reconnecting in the background, at most a second apart.
 */
export async function connectRedis(url: string, connectionName: string, onError: (error: Error) => void): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    // The bus restores its own subscriptions (see redis-bus.ts); ioredis would also restore stale ones.
    autoResubscribe: false,
    connectionName,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
  });
  // Without a listener ioredis prints every failed reconnect to stderr.
  redis.on('error', onError);
  try {
    await guardRedis(() => redis.connect());
  } catch (error) {
    redis.disconnect(); // stops the background reconnects of a client nobody will use
    throw error;
  }
  return redis;
}

/** Closes politely when Redis answers, at once otherwise. */
export async function closeRedis(redis: Redis): Promise<void> {
  await redis.quit().catch(() => redis.disconnect());
}
