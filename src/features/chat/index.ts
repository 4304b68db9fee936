// The chat feature's public surface: code outside src/features/chat imports only this file.
export { type ChatAuth, createChatAuth } from './chat-auth.js';
export type { ChatEventSink } from './chat-event-sink.js';
export { chatFeature } from './chat-feature.js';
export type { ChatGroup, ChatGroupStore, MembershipChange } from './chat-group-store.js';
export type { ChatUser, ChatUserStore } from './chat-user-store.js';
