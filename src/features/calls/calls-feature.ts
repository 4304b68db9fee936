import { feature } from '../../app/feature.js';
import { CallService } from './call-service.js';
import { signalSocketEndpoint } from './signal-socket.js';
import { turnHttp } from './turn-http.js';

/**
 * Calls: the /signal socket, TURN credentials, and the account sockets' call events over one
 * CallService; in a cluster, /signal calls span nodes.
 */
export const callsFeature = feature({
  name: 'calls',
  needs: ['accountSockets', 'turnCallers'],
  options: (config) => ({
    limits: { maxParticipants: config.call_max_participants, maxCalls: config.max_concurrent_calls, timeoutMs: config.call_room_timeout_seconds * 1000 },
    framesPerSecond: config.websocket_frames_per_second,
    turn: { secret: config.turn_secret, urls: config.turn_urls, ttlSeconds: config.turn_ttl_seconds, stunUrls: config.stun_urls },
  }),
  async register({ app, gateway, platform }, { limits, framesPerSecond, turn }, { accountSockets, turnCallers }) {
    const { authorizer, tokens, groupCluster, onError } = platform;
    const calls = new CallService(limits, accountSockets, { ...(groupCluster === undefined ? {} : { cluster: groupCluster }), onError });
    gateway.register(signalSocketEndpoint({ calls, authorizer, frames: { ratePerSecond: framesPerSecond, burst: Math.max(1, 2 * framesPerSecond) }, onError }));
    // Whispr clients fetch TURN credentials with their key token; the other dialects with their own.
    const keyTokens = { identityOf: async (token: string) => (await tokens.verify(token))?.key };
    await app.register(turnHttp, { callers: [keyTokens, ...turnCallers], turn });
    return { provides: { calls }, stats: () => ({ calls: calls.stats() }), close: () => calls.close() };
  },
});
