/**
 * The real PostgreSQL and Redis the cluster drivers are tested against. When one does not answer,
 * CI fails loudly (.ci/run starts both); elsewhere the suites that need it are skipped with a notice.
 */
import { Redis } from 'ioredis';
import pg from 'pg';

export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const PROBE_TIMEOUT_MS = 2_000;

async function answers(probe: () => Promise<unknown>): Promise<boolean> {
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), PROBE_TIMEOUT_MS).unref());
  return Promise.race([probe(), timeout]).then(
    () => true,
    () => false,
  );
}

function missing(service: string, url: string, start: string, suite: string): false {
  const problem = `${service} at ${url} did not answer within ${PROBE_TIMEOUT_MS / 1000} s`;
  if (process.env.CI === 'true') throw new Error(`${problem}; ${suite} needs it in CI. .ci/run starts it with: ${start}`);
  console.warn(`SKIPPED: ${suite} needs ${service} (${problem}; start it with: ${start})`);
  return false;
}

/** True when PostgreSQL at `url` answers within the probe timeout (the bench skips its PostgreSQL phases otherwise). */
export function postgresAnswers(url: string): Promise<boolean> {
  return answers(async () => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
    client.on('error', () => undefined); // a failure is the answer, already reported by connect or query
    try {
      await client.connect();
      await client.query('SELECT 1');
    } finally {
      await client.end().catch(() => undefined);
    }
  });
}

/** True when Redis at `url` answers within the probe timeout. */
export function redisAnswers(url: string): Promise<boolean> {
  return answers(async () => {
    const redis = new Redis(url, { lazyConnect: true, retryStrategy: () => null, enableOfflineQueue: false, connectTimeout: PROBE_TIMEOUT_MS });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      await redis.ping();
    } finally {
      redis.disconnect();
    }
  });
}

/** True when PostgreSQL answers; otherwise throws in CI, or warns and returns false (skip the suite). */
export async function requirePostgres(suite: string): Promise<boolean> {
  const ok = await postgresAnswers(POSTGRES_URL);
  return ok || missing('PostgreSQL', POSTGRES_URL, 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start', suite);
}

/** True when Redis answers; otherwise throws in CI, or warns and returns false (skip the suite). */
export async function requireRedis(suite: string): Promise<boolean> {
  const ok = await redisAnswers(REDIS_URL);
  const start = 'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log';
  return ok || missing('Redis', REDIS_URL, start, suite);
}
