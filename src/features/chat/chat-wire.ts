// The chat-app's wire shapes: field names as the original sent them, times as ISO 8601 UTC strings.
import { Type } from 'typebox';
import { ApiError } from '../../core/errors.js';
import { MAX_USER_ID_LENGTH } from './chat-auth.js';
import type { ChatGroup } from './chat-group-store.js';
import type { ChatUser } from './chat-user-store.js';

export const USER_ID = Type.String({ minLength: 1, maxLength: MAX_USER_ID_LENGTH, description: '"user_" + the ID token\'s subject' });
// "." and ".." could never be named in a URL path: clients' URL parsers resolve them away.
export const GROUP_ID = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^(?!\\.\\.?$)',
  description: 'Chosen by the creator; any text but "." and ".."',
});

/** A bare JSON array of user ids as the whole body, as FastAPI read a `List[str]` parameter. */
export const userIdList = (maxItems: number) => Type.Array(USER_ID, { maxItems });

/** The body of a userIdList route: the schema lets a request without a body through, FastAPI did not. */
export function userIdsOf(body: unknown): string[] {
  if (!Array.isArray(body)) throw new ApiError(422, 'VALIDATION_FAILED', 'The body must be a JSON array of user ids');
  return body as string[];
}

const TIME = Type.String({ description: 'ISO 8601, UTC (e.g. 2026-01-02T03:04:05.678Z)' });

export const USER_DOC = Type.Object({
  user_id: Type.String(),
  email: Type.String(),
  display_name: Type.String(),
  public_key: Type.String(),
  created_at: TIME,
  last_seen: TIME,
});

export const GROUP_DOC = Type.Object({
  group_id: Type.String(),
  name: Type.String(),
  creator_id: Type.String(),
  member_ids: Type.Array(Type.String()),
  key_version: Type.Integer(),
  created_at: TIME,
  updated_at: TIME,
});

// The original sent naive ISO times (no zone); the zone is stated here so no client reads them as local time.
const isoTime = (seconds: number) => new Date(seconds * 1000).toISOString();

export const userDoc = (u: ChatUser) => ({
  user_id: u.userId,
  email: u.email,
  display_name: u.displayName,
  public_key: u.publicKey,
  created_at: isoTime(u.createdAt),
  last_seen: isoTime(u.lastSeen),
});

export const groupDoc = (g: ChatGroup) => ({
  group_id: g.groupId,
  name: g.name,
  creator_id: g.creatorId,
  member_ids: g.memberIds,
  key_version: g.keyVersion,
  created_at: isoTime(g.createdAt),
  updated_at: isoTime(g.updatedAt),
});
