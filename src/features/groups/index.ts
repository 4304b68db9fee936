// The groups feature's public surface: code outside src/features/groups imports only this file.
/** The field schemas of group routes (the admin API validates group ids with the same one). */
export { F as groupFields } from './group-input.js';
export {
  type Channel,
  DuplicateChannelError,
  type Group,
  type GroupAttachment,
  type GroupMessage,
  type GroupRole,
  type GroupStore,
  type Member,
  type MemberKey,
  readSendContext,
  type SendContext,
  type StorageUsage,
} from './group-store.js';
export { type GroupOperations, groupsFeature } from './groups-feature.js';
