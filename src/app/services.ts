import type { AccountService, AccountSockets } from '../features/accounts/index.js';
import type { CallService, TurnCallers } from '../features/calls/index.js';
import type { ChatEventSink } from '../features/chat/index.js';
import type { GroupOperations } from '../features/groups/index.js';

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
