import type { ChatGroup, ChatUser } from '../features/chat/index.js';

/** A row of chat_users as both SQL drivers select it. */
export interface ChatUserRow {
  user_id: string;
  email: string;
  display_name: string;
  public_key: string;
  created_at: number;
  last_seen: number;
}

export const CHAT_USER_COLUMNS = 'user_id, email, display_name, public_key, created_at, last_seen';

export const toChatUser = (r: ChatUserRow): ChatUser => ({
  userId: r.user_id,
  email: r.email,
  displayName: r.display_name,
  publicKey: r.public_key,
  createdAt: r.created_at,
  lastSeen: r.last_seen,
});

/**
 * The case folding of the user search, done here rather than by the database so that both drivers
 * fold alike (SQLite's lower() folds ASCII only; PostgreSQL's depends on the database's LC_CTYPE).
 */
export const foldCase = (text: string): string => text.toLowerCase();

/** A row of chat_groups with its members in joining order. */
export interface ChatGroupRow {
  group_id: string;
  name: string;
  creator_id: string;
  key_version: number;
  created_at: number;
  updated_at: number;
  member_ids: string[];
}

export const toChatGroup = (r: ChatGroupRow): ChatGroup => ({
  groupId: r.group_id,
  name: r.name,
  creatorId: r.creator_id,
  memberIds: r.member_ids,
  keyVersion: r.key_version,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});
