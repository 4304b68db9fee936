// `whispr-sdk/wire`: the request and answer shapes shared with the server (types only).
export type { PrekeyBundle } from './accounts.js';
export type { UploadBody } from './attachments.js';
export type { TurnCredentials } from './calls.js';
