// The web feature's public surface: code outside src/features/web imports only this file.
export { webFeature } from './web-feature.js';
