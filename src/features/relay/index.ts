// The relay feature's public surface: code outside src/features/relay imports only this file.
export { type EnqueueResult, type InboxStore, type NewMessage, type QueuedMessage, queuedMessage } from './inbox-store.js';
export { relayFeature } from './relay-feature.js';
