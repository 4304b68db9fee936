import { feature } from '../../app/feature.js';
import type { BucketPolicy } from '../../rate-limit/rate-limiter.js';
import { IpPenalties } from './ip-penalties.js';
import { RoomRegistry } from './room-registry.js';
import { roomsSocketEndpoint, type RoomCounters } from './rooms-socket.js';

/** Ephemeral rooms (presence, typing, reactions, encrypted messages) on the shared WebSocket gateway. */
export const roomsFeature = feature({
  name: 'rooms',
  needs: [],
  options: (config) => ({
    maxUsersPerRoom: config.rooms_max_users_per_room,
    windowMs: config.rooms_rate_window_ms,
    penalties: {
      threshold: config.rooms_violations_before_block,
      blockMs: config.rooms_block_seconds * 1000,
      maxBlockMs: config.rooms_block_max_seconds * 1000,
    },
    rateLimiting: config.rooms_rate_limiting,
    messageLimit: config.rooms_message_limit,
    joinLimit: config.rooms_join_limit,
    maxFrameBytes: config.rooms_max_message_size,
    connectionsPerIp: config.rooms_connections_per_ip,
  }),
  register({ gateway, platform }, o) {
    const registry = new RoomRegistry(o.maxUsersPerRoom, platform.groupCluster, platform.onError);
    const penalties = new IpPenalties({ ...o.penalties, windowMs: o.windowMs });
    const perWindow = (limit: number): BucketPolicy => ({ ratePerSecond: limit / (o.windowMs / 1000), burst: limit });
    const counters: RoomCounters = { rate_limited: 0, invalid_frames: 0, messages_relayed: 0 };
    gateway.register(
      roomsSocketEndpoint({
        registry,
        penalties,
        counters,
        onError: platform.onError,
        limits: {
          maxFrameBytes: o.maxFrameBytes,
          connectionsPerIp: o.connectionsPerIp,
          ...(o.rateLimiting ? { messages: perWindow(o.messageLimit), joins: perWindow(o.joinLimit) } : {}),
        },
      }),
    );
    return {
      stats: () => {
        const rooms = { ...registry.stats(), ...counters, ...penalties.stats() };
        return { active_rooms: rooms.active_rooms, total_users: rooms.total_users, rooms };
      },
      // The original rooms server's /health figures: rooms are public by design (anyone may join one by its name).
      health: () => ({ active_connections: gateway.countsByDialect().rooms ?? 0, ...registry.stats() }),
      close: () => {
        penalties.close();
        registry.close();
      },
    };
  },
});
