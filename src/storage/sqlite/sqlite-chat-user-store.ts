import type { ChatUserStore } from '../../features/chat/index.js';
import { CHAT_USER_COLUMNS as COLUMNS, foldCase as fold, toChatUser as toUser, type ChatUserRow as Row } from '../chat-rows.js';
import type { SqliteDatabase } from './sqlite-database.js';
import type { SqliteWriteBatcher } from './write-batcher.js';

export function createSqliteChatUserStore(db: SqliteDatabase, writes: SqliteWriteBatcher): ChatUserStore {
  const upsert = db.prepare<Record<string, string | number>, Row>(
    `INSERT INTO chat_users (user_id, email, display_name, public_key, created_at, last_seen, email_folded, name_folded)
     VALUES (@userId, @email, @displayName, @publicKey, @createdAt, @lastSeen, @emailFolded, @nameFolded)
     ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, display_name = excluded.display_name, public_key = excluded.public_key,
       last_seen = excluded.last_seen, email_folded = excluded.email_folded, name_folded = excluded.name_folded
     RETURNING ${COLUMNS}`,
  );
  const byId = db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM chat_users WHERE user_id = ?`);
  // The ids go in as one JSON array, so any number of them is one statement.
  const keysOf = db.prepare<[string], { user_id: string; public_key: string }>(
    'SELECT user_id, public_key FROM chat_users WHERE user_id IN (SELECT value FROM json_each(?))',
  );
  // instr, not LIKE: the query's characters are all literal, so "%" or "_" match only themselves.
  const matching = db.prepare<{ query: string; limit: number }, Row>(
    `SELECT ${COLUMNS} FROM chat_users WHERE instr(email_folded, @query) > 0 OR instr(name_folded, @query) > 0 ORDER BY rowid LIMIT @limit`,
  );

  return {
    put: (user) =>
      writes.run(() => {
        const row = upsert.get({ ...user, emailFolded: fold(user.email), nameFolded: fold(user.displayName) });
        return toUser(row as Row);
      }),
    get: async (userId) => {
      const row = byId.get(userId);
      return row === undefined ? undefined : toUser(row);
    },
    publicKeys: async (userIds) => new Map(keysOf.all(JSON.stringify(userIds)).map((r) => [r.user_id, r.public_key])),
    search: async (query, limit) => matching.all({ query: fold(query), limit }).map(toUser),
  };
}
