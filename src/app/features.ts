import { accountSocketFeature } from '../features/accounts/account-socket-feature.js';
import { accountsFeature } from '../features/accounts/accounts-feature.js';
import { adminFeature } from '../features/admin/admin-feature.js';
import { attachmentsFeature } from '../features/attachments/attachments-feature.js';
import { authFeature } from '../features/auth/auth-feature.js';
import { callsFeature } from '../features/calls/calls-feature.js';
import { chatFeature } from '../features/chat/chat-feature.js';
import { eventsFeature } from '../features/events/events-feature.js';
import { groupsFeature } from '../features/groups/groups-feature.js';
import { relayFeature } from '../features/relay/relay-feature.js';
import { roomsFeature } from '../features/rooms/rooms-feature.js';
import type { AnyFeature } from './feature.js';

/**
 * Every feature, in registration order: a feature comes after those whose services it needs.
 * Shutdown runs their close hooks in the reverse order.
 */
export const FEATURES: readonly AnyFeature[] = [
  authFeature,
  relayFeature,
  attachmentsFeature,
  roomsFeature,
  accountsFeature,
  callsFeature,
  accountSocketFeature,
  groupsFeature,
  eventsFeature,
  chatFeature,
  adminFeature,
];
