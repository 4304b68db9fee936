import { feature } from '../../app/feature.js';
import { accountSocketEndpoint } from './account-socket.js';

/** The private-comm account socket /ws?token=: pending messages, encrypted_message, and call events through the calls. */
export const accountSocketFeature = feature({
  name: 'account-socket',
  needs: ['accountService', 'accountSockets', 'calls'],
  options: (config) => ({
    framesPerSecond: config.websocket_frames_per_second,
    limits: {
      maxConnections: config.account_max_connections,
      maxMessageBytes: config.max_message_size,
      maxQueued: config.max_messages_per_recipient,
      pendingTtlSeconds: config.pending_message_ttl_seconds,
    },
  }),
  register({ gateway, platform }, { framesPerSecond, limits }, { accountService, accountSockets, calls }) {
    const { storage, hub, now, onError } = platform;
    const frames = { ratePerSecond: framesPerSecond, burst: Math.max(1, 2 * framesPerSecond) };
    gateway.register(accountSocketEndpoint({ accounts: accountService, queue: storage.userQueues, hub, calls, frames, now, limits, onError }, accountSockets));
    return {};
  },
});
