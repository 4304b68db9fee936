import { accountSocketFeature, accountsFeature } from '../features/accounts/index.js';
import { adminFeature } from '../features/admin/index.js';
import { attachmentsFeature } from '../features/attachments/index.js';
import { authFeature } from '../features/auth/index.js';
import { callsFeature } from '../features/calls/index.js';
import { chatFeature } from '../features/chat/index.js';
import { eventsFeature } from '../features/events/index.js';
import { groupsFeature } from '../features/groups/index.js';
import { relayFeature } from '../features/relay/index.js';
import { roomsFeature } from '../features/rooms/index.js';
import { webFeature } from '../features/web/index.js';
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
  webFeature,
];
