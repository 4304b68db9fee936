// The admin feature's public surface: code outside src/features/admin imports only this file.
export { AdminAuth, adminLoginPolicy, requireAdmin } from './admin-auth.js';
export { adminFeature } from './admin-feature.js';
