// The rooms feature's public surface: code outside src/features/rooms imports only this file.
export { roomsFeature } from './rooms-feature.js';
