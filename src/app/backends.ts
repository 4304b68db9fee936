import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { createLocalBus } from '../bus/local-bus.js';
import type { MessageBus } from '../bus/message-bus.js';
import { createRedisBus } from '../bus/redis-bus.js';
import { createLocalConnectionSlots, type ConnectionSlots } from '../cluster/connection-slots.js';
import { createLocalPresence, type Presence } from '../cluster/presence.js';
import { createRedisConnectionSlots } from '../cluster/redis-connection-slots.js';
import { createRedisPresence } from '../cluster/redis-presence.js';
import type { KeyLocks } from '../cluster/key-locks.js';
import { createRedisKeyLocks } from '../cluster/redis-key-locks.js';
import type { GroupCluster } from '../cluster/group-link.js';
import { createRedisRoster } from '../cluster/redis-roster.js';
import { KeyedLock } from '../core/keyed-lock.js';
import type { Config } from '../config/settings.js';
import { nowSeconds } from '../core/clock.js';
import { type ChallengeCaps, createMemoryChallengeStore, type ChallengeStore } from '../features/auth/index.js';
import { createRedisChallengeStore } from '../storage/redis/redis-challenge-store.js';
import { createLocalRateLimiter } from '../rate-limit/local-rate-limiter.js';
import type { BucketPolicy, RateLimiter } from '../rate-limit/rate-limiter.js';
import { createRedisRateLimiter } from '../rate-limit/redis-rate-limiter.js';
import { closeRedis, connectRedis } from '../redis/redis-connection.js';
import { openPostgresStorage } from '../storage/postgres/open-postgres-storage.js';
import { createRedisInboxStore } from '../storage/redis/redis-inbox-store.js';
import { SchemaTooNewError } from '../storage/schema.js';
import { openEmbeddedStorage, SQLITE_FILE } from '../storage/sqlite/open-embedded-storage.js';
import type { Storage } from '../storage/storage.js';
import { redisUrlWithPassword } from '../redis/redis-url.js';
import { postgresUnreachable, redisUnreachable, serviceAddress } from './service-address.js';
import { explainFailure, reasonOf } from './startup-error.js';

/**
 * What the features run on: the embedded default (SQLite file, in-process bus and counters) or the
 * cluster drivers (PostgreSQL for durable state; Redis for delivery, rate limits, presence, caps).
 */
export interface Backends {
  /** This process's id among the nodes (presence and connection slots are counted per node). */
  nodeId: string;
  storage: Storage;
  bus: MessageBus;
  /** A rate limiter that every node shares (bus=redis) or this process alone uses; `name` keeps budgets apart. */
  limiter(name: string, policy: BucketPolicy): RateLimiter;
  challenges: ChallengeStore & { close(): void };
  presence: Presence;
  slots: ConnectionSlots;
  /** Serializes work on one stored file: in this process, or across nodes. */
  locks: KeyLocks;
  /** Rooms' and calls' view of the other nodes (bus=redis), or undefined when this process is the whole deployment. */
  groupCluster: GroupCluster | undefined;
  close(): Promise<void>;
}

/** Where the storage is, for the startup summary and the errors: never a password. */
export const storageLocation = (config: Pick<Config, 'storage' | 'data_dir' | 'database_url'>): string =>
  config.storage === 'sqlite' ? resolve(config.data_dir, SQLITE_FILE) : serviceAddress(config.database_url);

/** Opens (and migrates) the configured storage; a failure the operator can fix is one line (StartupError). */
export async function openStorage(config: Config, log: Logger): Promise<Storage> {
  const isSchemaRefusal = (err: unknown) => err instanceof SchemaTooNewError;
  if (config.storage === 'sqlite') {
    return explainFailure(
      () => openEmbeddedStorage(config.data_dir),
      (reason) =>
        `cannot open the SQLite database ${storageLocation(config)} (${reason}): check that it is a Whispr database and that the data directory is writable`,
      isSchemaRefusal,
    );
  }
  const open = () =>
    openPostgresStorage(config.database_url, {
      spoolDir: join(config.data_dir, 'spool'),
      onIdleError: (err) => log.warn({ err }, 'idle database connection failed; it is replaced'),
    });
  return explainFailure(open, postgresUnreachable(config.database_url), isSchemaRefusal);
}

const challengeCaps = (config: Config): ChallengeCaps => ({
  maxPending: config.max_pending_challenges,
  maxPendingPerAddress: config.max_pending_challenges_per_ip,
});

export async function openBackends(config: Config, log: Logger): Promise<Backends> {
  const nodeId = randomUUID();
  const onError = (err: unknown) => log.error({ err }, 'backend error');
  const storage = await openStorage(config, log);
  const closers: Array<() => Promise<void> | void> = [() => storage.close()];
  try {
    if (config.bus === 'local') {
      const limiters: RateLimiter[] = [];
      const challenges = createMemoryChallengeStore(challengeCaps(config), nowSeconds);
      const presence = createLocalPresence();
      const slots = createLocalConnectionSlots();
      const bus = createLocalBus();
      closers.push(
        () => bus.close(),
        () => challenges.close(),
        () => presence.close(),
        () => slots.close(),
        () =>
          limiters.forEach((l) => {
            l.close();
          }),
      );
      return {
        nodeId,
        storage,
        bus,
        limiter: (_name, policy) => {
          const limiter = createLocalRateLimiter(policy);
          limiters.push(limiter);
          return limiter;
        },
        challenges,
        presence,
        slots,
        locks: new KeyedLock(),
        groupCluster: undefined,
        close: () => closeAll(closers),
      };
    }
    const url = redisUrlWithPassword(config.redis_url, config.redis_password);
    const prefix = config.redis_prefix;
    // ioredis rejects with "Connection is closed"; the socket's own error says why. Until the first
    // connection stands, that error is the one-line start failure, not a logged stack.
    let firstError: unknown;
    let connected = false;
    const noteError = (err: unknown) => {
      if (connected) onError(err);
      else firstError ??= err;
    };
    const redis = await explainFailure(
      () => connectRedis(url, `${prefix}node`, noteError),
      (reason) => redisUnreachable(config.redis_url)(firstError === undefined ? reason : reasonOf(firstError)),
    );
    connected = true;
    closers.push(() => closeRedis(redis));
    const bus = await createRedisBus(url, { channelPrefix: prefix, onError });
    closers.push(() => bus.close());
    const challenges = createRedisChallengeStore(redis, { keyPrefix: `${prefix}challenge:`, caps: challengeCaps(config), now: nowSeconds });
    closers.push(() => challenges.close());
    const presence = await createRedisPresence(redis, { nodeId, keyPrefix: `${prefix}presence:`, onError });
    closers.push(() => presence.close());
    const slots = await createRedisConnectionSlots(redis, { nodeId, keyPrefix: `${prefix}slots:`, onError });
    closers.push(() => slots.close());
    // The rooms' and calls' roster on a connection of its own (its scripts rely on their order).
    const rosterRedis = await connectRedis(url, `${prefix}roster`, onError);
    closers.push(() => closeRedis(rosterRedis));
    const roster = createRedisRoster(rosterRedis, { nodeId, keyPrefix: `${prefix}roster:` });
    // Redis down: the others find this node dead when its liveness runs out.
    closers.push(() => roster.close().catch(() => undefined));
    // The original Whispr's ephemeral Redis inbox, in place of the durable one.
    const inbox = config.inbox_backend === 'redis' ? createRedisInboxStore(redis, { keyPrefix: `${prefix}inbox:` }) : storage.inbox;
    return {
      nodeId,
      storage: { ...storage, inbox },
      bus,
      limiter: (name, policy) => createRedisRateLimiter(redis, policy, `${prefix}rate:${name}:`),
      challenges,
      presence,
      slots,
      locks: createRedisKeyLocks(redis, { keyPrefix: `${prefix}lock:` }),
      groupCluster: { bus, roster },
      close: () => closeAll(closers),
    };
  } catch (err) {
    await closeAll(closers);
    throw err;
  }
}

/** Closes in reverse order of opening; every closer runs even if one fails. */
async function closeAll(closers: Array<() => Promise<void> | void>): Promise<void> {
  let failure: unknown;
  for (const close of [...closers].reverse()) {
    try {
      await close();
    } catch (err) {
      failure ??= err;
    }
  }
  if (failure !== undefined) throw failure;
}
