import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config/settings.js';
import type { WsGateway } from '../../http/ws-gateway.js';
import type { KeyAuthorizer } from '../auth/key-authorizer.js';
import { CallService, type CallServiceOptions, type UserDelivery } from './call-service.js';
import { signalSocketEndpoint } from './signal-socket.js';
import { turnHttp, type TurnCallers } from './turn-http.js';

/**
 * Calls: the /signal socket, TURN credentials, and the account sockets' call events (through `delivery`) over one CallService; `options.cluster` spreads /signal calls over nodes.
 * `options.turnCallers`: the kinds of bearer token that may fetch TURN credentials.
 */
export async function registerCalls(
  app: FastifyInstance,
  gateway: WsGateway,
  authorizer: KeyAuthorizer,
  config: Config,
  delivery: UserDelivery,
  options: CallServiceOptions & { onError: (err: unknown) => void; turnCallers: readonly TurnCallers[] },
): Promise<CallService> {
  const calls = new CallService({ maxParticipants: config.call_max_participants, maxCalls: config.max_concurrent_calls, timeoutMs: config.call_room_timeout_seconds * 1000 }, delivery, options);
  const rate = config.websocket_frames_per_second;
  gateway.register(signalSocketEndpoint({ calls, authorizer, frames: { ratePerSecond: rate, burst: Math.max(1, 2 * rate) }, onError: options.onError }));
  await app.register(turnHttp, {
    callers: options.turnCallers,
    turn: { secret: config.turn_secret, urls: config.turn_urls, ttlSeconds: config.turn_ttl_seconds, stunUrls: config.stun_urls },
  });
  return calls;
}
