import type { MessageBus } from '../../bus/message-bus.js';
import type { Config } from '../../config/settings.js';
import type { WsGateway } from '../../http/ws-gateway.js';
import type { BucketPolicy } from '../../rate-limit/rate-limiter.js';
import { closeRedis, connectRedis } from '../../redis/redis-connection.js';
import type { GroupCluster } from './group-link.js';
import { IpPenalties } from './ip-penalties.js';
import { createRedisRoster } from './redis-roster.js';
import { RoomRegistry } from './room-registry.js';
import { roomsSocketEndpoint, type RoomCounters } from './rooms-socket.js';
import { redisUrlWithPassword } from '../../redis/redis-url.js';

export interface RoomsFeature {
  /** Rooms' and calls' view of the other nodes (bus=redis), or undefined when this process is the whole deployment. */
  cluster: GroupCluster | undefined;
  stats(): Record<string, number>;
  close(): void;
}

/** What the rooms need from the server's backends. */
export interface RoomsBackend {
  bus: MessageBus;
  nodeId: string;
  onError: (err: unknown) => void;
}

/** With bus=redis: the roster in Redis on a connection of its own (its scripts rely on their order), beside the server's bus. */
async function openCluster(config: Config, backend: RoomsBackend): Promise<{ cluster: GroupCluster; close(): Promise<void> } | undefined> {
  if (config.bus !== 'redis') return undefined;
  const redis = await connectRedis(redisUrlWithPassword(config.redis_url, config.redis_password), `${config.redis_prefix}roster`, backend.onError);
  const roster = createRedisRoster(redis, { nodeId: backend.nodeId, keyPrefix: `${config.redis_prefix}roster:` });
  return {
    cluster: { bus: backend.bus, roster },
    async close() {
      await roster.close().catch(() => undefined); // Redis down: the others find this node dead when its liveness runs out
      await closeRedis(redis);
    },
  };
}

/** Ephemeral rooms (presence, typing, reactions, encrypted messages) on the shared WebSocket gateway. */
export async function registerRooms(gateway: WsGateway, config: Config, backend: RoomsBackend): Promise<RoomsFeature> {
  const opened = await openCluster(config, backend);
  const registry = new RoomRegistry(config.rooms_max_users_per_room, opened?.cluster, backend.onError);
  const windowMs = config.rooms_rate_window_ms;
  const penalties = new IpPenalties({
    threshold: config.rooms_violations_before_block,
    windowMs,
    blockMs: config.rooms_block_seconds * 1000,
    maxBlockMs: config.rooms_block_max_seconds * 1000,
  });
  const perWindow = (limit: number): BucketPolicy => ({ ratePerSecond: limit / (windowMs / 1000), burst: limit });
  const counters: RoomCounters = { rate_limited: 0, invalid_frames: 0, messages_relayed: 0 };
  gateway.register(
    roomsSocketEndpoint({
      registry,
      penalties,
      counters,
      onError: backend.onError,
      limits: {
        maxFrameBytes: config.rooms_max_message_size,
        connectionsPerIp: config.rooms_connections_per_ip,
        ...(config.rooms_rate_limiting ? { messages: perWindow(config.rooms_message_limit), joins: perWindow(config.rooms_join_limit) } : {}),
      },
    }),
  );
  return {
    cluster: opened?.cluster,
    stats: () => ({ ...registry.stats(), ...counters, ...penalties.stats() }),
    close: () => {
      penalties.close();
      registry.close();
      opened?.close().catch(backend.onError);
    },
  };
}
