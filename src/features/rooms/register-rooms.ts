import type { Config } from '../../config/settings.js';
import type { WsGateway } from '../../http/ws-gateway.js';
import type { BucketPolicy } from '../../rate-limit/rate-limiter.js';
import type { GroupCluster } from '../../cluster/group-link.js';
import { IpPenalties } from './ip-penalties.js';
import { RoomRegistry } from './room-registry.js';
import { roomsSocketEndpoint, type RoomCounters } from './rooms-socket.js';

export interface RoomsFeature {
  stats(): Record<string, number>;
  close(): void;
}

/** What the rooms need from the server's backends. */
export interface RoomsBackend {
  /** The other nodes (bus=redis), or undefined when this process is the whole deployment. */
  cluster: GroupCluster | undefined;
  onError: (err: unknown) => void;
}

/** Ephemeral rooms (presence, typing, reactions, encrypted messages) on the shared WebSocket gateway. */
export function registerRooms(gateway: WsGateway, config: Config, backend: RoomsBackend): RoomsFeature {
  const registry = new RoomRegistry(config.rooms_max_users_per_room, backend.cluster, backend.onError);
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
    stats: () => ({ ...registry.stats(), ...counters, ...penalties.stats() }),
    close: () => {
      penalties.close();
      registry.close();
    },
  };
}
