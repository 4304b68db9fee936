// The events feature's public surface: code outside src/features/events imports only this file.
export { eventsFeature } from './events-feature.js';
