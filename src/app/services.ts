import type { AccountService } from '../features/accounts/account-service.js';
import type { AccountSockets } from '../features/accounts/account-socket.js';
import type { CallService } from '../features/calls/call-service.js';
import type { TurnCallers } from '../features/calls/turn-http.js';
import type { ChatEventSink } from '../features/chat/chat-event-sink.js';
import type { GroupOperations } from '../features/groups/groups-feature.js';

/**
 * What one feature offers the features registered after it, by name. A feature lists the names it
 * needs; the composition root checks at startup that an earlier feature provided each one.
 */
export interface Services {
  accountService: AccountService;
  accountSockets: AccountSockets;
  /** Kinds of bearer token that may fetch TURN credentials, one per dialect that signs callers in. */
  turnCallers: readonly TurnCallers[];
  calls: CallService;
  /** Chat-app events the server itself raises (e.g. GROUP_KEY_UPDATE). */
  chatEvents: ChatEventSink;
  groupOperations: GroupOperations;
  /** The figures of /health and the admin dashboard's system status. */
  systemDetails: () => Promise<Record<string, unknown>>;
}
