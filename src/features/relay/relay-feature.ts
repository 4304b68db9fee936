import { feature } from '../../app/feature.js';
import { InboxPush } from './inbox-push.js';
import { RelayService } from './relay-service.js';
import { relayHttp } from './whispr-http.js';
import { whisprSocketEndpoint } from './whispr-socket.js';

/**
 * How long a message stays hidden while a socket writes it. A node that dies keeps its leases until
 * they expire, so a cluster uses short ones and sweeps its sockets' queues (which also catches
 * wake-ups missed while its Redis link was down); one process alone clears leases at start instead.
 */
const PUSH_LEASE_SECONDS = { single: 60, cluster: 10 } as const;

/** The Whispr direct-message relay: signed /send, /inbox, and push over /ws/{key} and /ws?recipient=. */
export const relayFeature = feature({
  name: 'relay',
  needs: [],
  options: (config) => ({
    leaseSeconds: PUSH_LEASE_SECONDS[config.bus === 'redis' ? 'cluster' : 'single'],
    limits: {
      maxMessageBytes: config.max_message_size,
      queue: { total: config.max_messages_per_recipient, perSender: config.max_queued_per_sender, perAddress: config.max_queued_per_address },
      messageTtlSeconds: config.message_ttl_seconds,
      replayWindowSeconds: config.replay_window_seconds,
      clockSkewSeconds: config.clock_skew_seconds,
    },
  }),
  async register({ app, gateway, platform }, { leaseSeconds, limits }) {
    const { storage, bus, verifier, senderLimiter, now, analytics, authorizer, ipLimit, frameLimiter, onError } = platform;
    const relay = new RelayService({ inbox: storage.inbox, bus, verifier, senderLimiter, now, analytics, limits });
    const push = new InboxPush({ inbox: storage.inbox, bus, now, leaseSeconds, onError });
    gateway.register(whisprSocketEndpoint({ push, authorizer, frameLimiter, onError }));
    await app.register(relayHttp, { relay, authorizer, ipLimit, maxMessageBytes: limits.maxMessageBytes });
    return {
      stats: async () => ({ queued_messages: await storage.inbox.totalQueued() }),
      jobs: [{ name: 'inbox', run: () => storage.inbox.purgeExpired(now()) }],
      sweep: () => push.sweep(),
    };
  },
});
