// The accounts feature's public surface: code outside src/features/accounts imports only this file.
export type { AccountService } from './account-service.js';
export { accountSocketFeature } from './account-socket-feature.js';
export type { AccountSockets } from './account-socket.js';
export type { Account, AccountStore, ClaimedBundle, KeyOwner, RegisterResult, Registration } from './account-store.js';
export { accountsFeature } from './accounts-feature.js';
