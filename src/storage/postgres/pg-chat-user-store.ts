import type { ChatUserStore } from '../../features/chat/index.js';
import { CHAT_USER_COLUMNS as COLUMNS, foldCase, toChatUser, type ChatUserRow as Row } from '../chat-rows.js';
import { type PgDatabase, prepared } from './pg-database.js';

/** Read on every chat event (the recipient must exist): prepared. */
const GET_USER = prepared('chat_user_get', `SELECT ${COLUMNS} FROM chat_users WHERE user_id = $1`);

/** Chat-app users on PostgreSQL; `seq` keeps registration order for search results, as SQLite's rowid does. */
export function createPgChatUserStore(db: PgDatabase): ChatUserStore {
  return {
    async put(user) {
      const [row] = await db.query<Row>(
        `INSERT INTO chat_users (user_id, email, display_name, public_key, created_at, last_seen, email_folded, name_folded)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, display_name = excluded.display_name, public_key = excluded.public_key,
           last_seen = excluded.last_seen, email_folded = excluded.email_folded, name_folded = excluded.name_folded
         RETURNING ${COLUMNS}`,
        [user.userId, user.email, user.displayName, user.publicKey, user.createdAt, user.lastSeen, foldCase(user.email), foldCase(user.displayName)],
      );
      return toChatUser(row!); // an upsert returns its row
    },
    async get(userId) {
      const [row] = await db.query<Row>(GET_USER, [userId]);
      return row === undefined ? undefined : toChatUser(row);
    },
    async publicKeys(userIds) {
      const rows = await db.query<{ user_id: string; public_key: string }>('SELECT user_id, public_key FROM chat_users WHERE user_id = ANY ($1::text[])', [
        userIds,
      ]);
      return new Map(rows.map((r) => [r.user_id, r.public_key]));
    },
    async search(query, limit) {
      // strpos, not LIKE: every character of the query is literal, so "%" or "_" match only themselves.
      const rows = await db.query<Row>(
        `SELECT ${COLUMNS} FROM chat_users WHERE strpos(email_folded, $1) > 0 OR strpos(name_folded, $1) > 0 ORDER BY seq LIMIT $2`,
        [foldCase(query), limit],
      );
      return rows.map(toChatUser);
    },
  };
}
