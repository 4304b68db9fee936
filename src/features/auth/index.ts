// The auth feature's public surface: code outside src/features/auth imports only this file.
export { authFeature } from './auth-feature.js';
export { type Challenge, type ChallengeCaps, type ChallengeStore, createMemoryChallengeStore } from './challenge-store.js';
export { KeyAuthorizer, type SecurityMode } from './key-authorizer.js';
export { TokenService } from './token-service.js';
