import { feature } from '../../app/feature.js';
import { perSecond } from '../../rate-limit/policies.js';
import { accountSocketEndpoint } from './account-socket.js';

/** The private-comm account socket /ws?token=: pending messages, encrypted_message, and call events through the calls. */
export const accountSocketFeature = feature({
  name: 'account-socket',
  needs: ['accountService', 'accountSockets', 'calls'],
  options: (config) => ({
    framesPerSecond: config.websocket_frames_per_second,
    messagesPerSecond: config.account_messages_per_second,
    limits: {
      maxConnections: config.account_max_connections,
      maxMessageBytes: config.max_message_size,
      queue: { total: config.max_messages_per_recipient, perSender: config.max_queued_per_sender, perAddress: config.max_queued_per_address },
      pendingTtlSeconds: config.pending_message_ttl_seconds,
    },
  }),
  register({ gateway, platform }, { framesPerSecond, messagesPerSecond, limits }, { accountService, accountSockets, calls }) {
    const { storage, hub, now, onError, addressBudget } = platform;
    const frames = perSecond(framesPerSecond, 2);
    const budgets = {
      sender: {
        limiter: platform.limiter('account-sender', perSecond(messagesPerSecond, 2)),
        code: 'RATE_LIMITED',
        detail: 'Too many messages from this account',
      },
      address: addressBudget,
    };
    gateway.register(
      accountSocketEndpoint({ accounts: accountService, queue: storage.userQueues, hub, calls, frames, budgets, now, limits, onError }, accountSockets),
    );
    return {};
  },
});
