import { randomBytes, randomUUID } from 'node:crypto';

/** Group, channel and message ids: uuid4 as 32 hex characters, as the original server makes them. */
export const newId = (): string => randomUUID().replaceAll('-', '');

/** Invite codes: 8 random bytes, URL-safe base64 (11 characters), like secrets.token_urlsafe(8). */
export const newInviteCode = (): string => randomBytes(8).toString('base64url');

export const ID_PATTERN = '^[0-9a-fA-F]{32}$';
