// The attachments feature's public surface: code outside src/features/attachments imports only this file.
export type { AttachmentGrant, AttachmentStore, BlobStore } from './attachment-store.js';
export { attachmentsFeature } from './attachments-feature.js';
