// The calls feature's public surface: code outside src/features/calls imports only this file.
export { CallError, type CallService, USER_CALL_EVENTS, type UserCallEvent, type UserDelivery } from './call-service.js';
export { callsFeature } from './calls-feature.js';
export type { TurnCallers } from './turn-http.js';
