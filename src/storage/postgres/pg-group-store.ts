import {
  DuplicateChannelError,
  type Channel,
  type Group,
  type GroupAttachment,
  type GroupMessage,
  type GroupStore,
  type Member,
  type MemberKey,
  type SendContext,
  type StorageUsage,
} from '../../features/groups/index.js';
import { type PgDatabase, type PgQueryable, prepared } from './pg-database.js';
import { PgTurnBatcher } from './pg-turn-batcher.js';

const GROUP_COLUMNS = 'id, name, owner_id, is_public, invite_code, key_version, server_distribute, server_store_history, created_at';
const CHANNEL_COLUMNS = 'id, group_id, name, type, topic, description, created_at';
const MESSAGE_COLUMNS = 'id, group_id, channel_id, sender_id, ciphertext, nonce, key_version, "timestamp", attachment_meta';
const MEMBER_COLUMNS = 'group_id, user_id, role, pending, joined_at';
const ATTACHMENT_COLUMNS = 'group_id, att_id, uploader, size, created_at';

/** The message fields group_messages_add_batch (migration 9) takes, in the order of its array parameters. */
const MESSAGE_FIELDS = [
  'id',
  'group_id',
  'channel_id',
  'sender_id',
  'ciphertext',
  'nonce',
  'key_version',
  'timestamp',
  'attachment_meta',
] as const satisfies readonly (keyof GroupMessage)[];
const ADD_MESSAGES = prepared(
  'group_messages_add_batch',
  `SELECT id FROM group_messages_add_batch(
  $1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::float8[], $9::text[]) AS id`,
);

const NO_USAGE = { message_bytes: 0, file_bytes: 0 };
/** One row of JSON objects (null when absent), the parts of SendContext: one round trip for what a send reads. */
const SEND_CONTEXT = prepared(
  'group_send_context',
  `SELECT
  (SELECT row_to_json(g) FROM (SELECT ${GROUP_COLUMNS} FROM groups WHERE id = $1) AS g) AS "group",
  (SELECT row_to_json(m) FROM (SELECT ${MEMBER_COLUMNS} FROM group_members WHERE group_id = $1 AND user_id = $3) AS m) AS member,
  (SELECT row_to_json(c) FROM (SELECT ${CHANNEL_COLUMNS} FROM channels WHERE id = $2) AS c) AS channel,
  (SELECT row_to_json(u) FROM (SELECT message_bytes, file_bytes FROM group_usage WHERE group_id = $1) AS u) AS group_usage,
  (SELECT row_to_json(u) FROM (SELECT message_bytes, file_bytes FROM group_key_usage WHERE user_id = $3) AS u) AS key_usage,
  ARRAY(SELECT user_id FROM group_members WHERE group_id = $1 AND NOT pending ORDER BY joined_at, user_id) AS member_ids`,
);

/** `%`, `_` and the escape character itself match literally in the LIKE pattern built from user input. */
const containsPattern = (query: string): string => `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** The (group_id, name) constraint is the only one that means "name taken"; a reused id is another error. */
const isNameTaken = (error: unknown): boolean => (error as { constraint?: unknown }).constraint === 'channels_name_taken';

const groupValues = (g: Group) => [
  g.id,
  g.name,
  g.owner_id,
  g.is_public,
  g.invite_code,
  g.key_version,
  g.server_distribute,
  g.server_store_history,
  g.created_at,
];
const channelValues = (c: Channel) => [c.id, c.group_id, c.name, c.type, c.topic, c.description, c.created_at];
const upsertMemberSql = `INSERT INTO group_members (${MEMBER_COLUMNS}) VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT (group_id, user_id) DO UPDATE SET role = excluded.role, pending = excluded.pending, joined_at = excluded.joined_at`;
const insertChannelSql = `INSERT INTO channels (${CHANNEL_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`;

/**
 * Locks the usage counters a delete across groups will change, groups then keys, each in sorted
 * order. A write takes its group's counter, then its key's (the triggers of schema 7), so a sweep
 * that took them row by row in any order could deadlock with it; taken this way first, it cannot.
 */
async function lockUsage(tx: PgQueryable, groupIds: readonly string[], userIds: readonly string[]): Promise<void> {
  await tx.query('SELECT 1 FROM group_usage WHERE group_id = ANY($1) ORDER BY group_id FOR UPDATE', [[...new Set(groupIds)]]);
  await tx.query('SELECT 1 FROM group_key_usage WHERE user_id = ANY($1) ORDER BY user_id FOR UPDATE', [[...new Set(userIds)]]);
}

/** The group backend on PostgreSQL: booleans are real booleans, every multi-statement step is one transaction. */
export function createPgGroupStore(db: PgDatabase): GroupStore {
  const one = async <R>(sql: string, params: readonly unknown[]): Promise<R | undefined> => (await db.query<R>(sql, params))[0];

  /** Runs a channel write, reporting a taken (group_id, name) as DuplicateChannelError. */
  const channelWrite = async (name: string, sql: string, params: readonly unknown[]) => {
    try {
      await db.query(sql, params);
    } catch (error) {
      if (isNameTaken(error)) throw new DuplicateChannelError(name);
      throw error;
    }
  };

  /** Whether each message was stored: one statement for the messages of one event-loop turn. */
  const messageInserts = new PgTurnBatcher<GroupMessage, boolean>(async (messages) => {
    const params = MESSAGE_FIELDS.map((field) => messages.map((m) => m[field]));
    const stored = new Set((await db.query<{ id: string }>(ADD_MESSAGES, params)).map((r) => r.id));
    return messages.map((m) => stored.has(m.id));
  });

  return {
    createGroup: (group, firstChannel) =>
      db.transaction(async (tx) => {
        await tx.query(`INSERT INTO groups (${GROUP_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, groupValues(group));
        await tx.query(upsertMemberSql, [group.id, group.owner_id, 'owner', false, group.created_at]);
        await tx.query(insertChannelSql, channelValues(firstChannel));
      }),
    getGroup: (groupId) => one<Group>(`SELECT ${GROUP_COLUMNS} FROM groups WHERE id = $1`, [groupId]),
    getGroupByInvite: (inviteCode) => one<Group>(`SELECT ${GROUP_COLUMNS} FROM groups WHERE invite_code = $1`, [inviteCode]),
    async updateGroup(groupId, update) {
      // Every updatable column is NOT NULL, so a null parameter means "keep".
      await db.query(
        `UPDATE groups SET name = coalesce($2, name), is_public = coalesce($3, is_public), invite_code = coalesce($4, invite_code),
           server_distribute = coalesce($5, server_distribute), server_store_history = coalesce($6, server_store_history)
         WHERE id = $1`,
        [groupId, update.name, update.is_public, update.invite_code, update.server_distribute, update.server_store_history].map((v) => v ?? null),
      );
    },
    async bumpKeyVersion(groupId) {
      const row = await one<{ key_version: number }>('UPDATE groups SET key_version = key_version + 1 WHERE id = $1 RETURNING key_version', [groupId]);
      if (row === undefined) throw new Error(`unknown group ${groupId}`);
      return row.key_version;
    },
    transferOwnership: (groupId, previousOwner, newOwner) =>
      db.transaction(async (tx) => {
        const setRole = (userId: string, role: string) =>
          tx.query('UPDATE group_members SET role = $3 WHERE group_id = $1 AND user_id = $2 RETURNING user_id', [groupId, userId, role]);
        // Throwing rolls the whole step back rather than leaving an owner_id without its owner row.
        const moved = await tx.query('UPDATE groups SET owner_id = $2 WHERE id = $1 RETURNING id', [groupId, newOwner]);
        if (moved.length === 0) throw new Error(`unknown group ${groupId}`);
        if ((await setRole(newOwner, 'owner')).length === 0) throw new Error(`${newOwner} is not a member of ${groupId}`);
        if (previousOwner !== newOwner) await setRole(previousOwner, 'admin');
      }),
    deleteGroup: (groupId) =>
      db.transaction(async (tx) => {
        // Deleted explicitly first so the ids come back even if one is added concurrently.
        const held = await tx.query<{ att_id: string }>('DELETE FROM group_attachments WHERE group_id = $1 RETURNING att_id', [groupId]);
        await tx.query('DELETE FROM groups WHERE id = $1', [groupId]); // cascades to members, keys, bans, channels, messages
        return held.map((r) => r.att_id);
      }),
    listGroupsOf: (userId) =>
      db.query<Group>(
        `SELECT ${GROUP_COLUMNS.split(', ')
          .map((c) => `g.${c}`)
          .join(', ')}
         FROM group_members m JOIN groups g ON g.id = m.group_id
         WHERE m.user_id = $1 AND NOT m.pending ORDER BY g.created_at, g.id`,
        [userId],
      ),
    listPublicGroups: (query, limit) =>
      db.query<Group>(
        `SELECT ${GROUP_COLUMNS} FROM groups
         WHERE is_public AND ($1::text IS NULL OR name ILIKE $1 ESCAPE '\\')
         ORDER BY created_at DESC, id DESC LIMIT $2`,
        [query === undefined || query === '' ? null : containsPattern(query), limit],
      ),
    async countGroups() {
      return (await one<{ n: number }>('SELECT count(*) AS n FROM groups', []))?.n ?? 0;
    },

    getMember: (groupId, userId) => one<Member>(`SELECT ${MEMBER_COLUMNS} FROM group_members WHERE group_id = $1 AND user_id = $2`, [groupId, userId]),
    async putMember(m) {
      await db.query(upsertMemberSql, [m.group_id, m.user_id, m.role, m.pending, m.joined_at]);
    },
    removeMember: (groupId, userId) =>
      db.transaction(async (tx) => {
        await tx.query('DELETE FROM group_member_keys WHERE group_id = $1 AND user_id = $2', [groupId, userId]);
        const gone = await tx.query('DELETE FROM group_members WHERE group_id = $1 AND user_id = $2 RETURNING user_id', [groupId, userId]);
        return gone.length > 0;
      }),
    removeRecent: (groupId, since, pending, max) =>
      db.transaction(async (tx) => {
        const gone = await tx.query<{ user_id: string; joined_at: number }>(
          `DELETE FROM group_members WHERE group_id = $1 AND user_id IN
             (SELECT user_id FROM group_members WHERE group_id = $1 AND pending = $2 AND role = 'member' AND joined_at >= $3
              ORDER BY joined_at DESC, user_id LIMIT $4 FOR UPDATE)
           RETURNING user_id, joined_at`,
          [groupId, pending, since, max],
        );
        const ids = gone.sort((a, b) => b.joined_at - a.joined_at || (a.user_id < b.user_id ? -1 : 1)).map((r) => r.user_id);
        await tx.query('DELETE FROM group_member_keys WHERE group_id = $1 AND user_id = ANY($2)', [groupId, ids]);
        return ids;
      }),
    async purgeRequestsBefore(before, max) {
      const gone = await db.query(
        `DELETE FROM group_members WHERE (group_id, user_id) IN
           (SELECT group_id, user_id FROM group_members WHERE pending AND joined_at < $1 ORDER BY joined_at LIMIT $2)
         RETURNING user_id`,
        [before, max],
      );
      return gone.length;
    },
    async setRole(groupId, userId, role) {
      await db.query('UPDATE group_members SET role = $3 WHERE group_id = $1 AND user_id = $2', [groupId, userId, role]);
    },
    async countMembers(groupId) {
      const row = await one<{ members: number; pending: number }>(
        'SELECT count(*) FILTER (WHERE NOT pending) AS members, count(*) FILTER (WHERE pending) AS pending FROM group_members WHERE group_id = $1',
        [groupId],
      );
      return row ?? { members: 0, pending: 0 };
    },
    listMemberKeys: (groupId, keyVersion) =>
      db.query<MemberKey>(
        `SELECT m.user_id, m.role, k.encrypted_key AS encrypted_group_key, k.key_version
         FROM group_members m
         LEFT JOIN group_member_keys k ON k.group_id = m.group_id AND k.user_id = m.user_id AND k.key_version = $2
         WHERE m.group_id = $1 AND NOT m.pending ORDER BY m.joined_at, m.user_id`,
        [groupId, keyVersion],
      ),
    async listMemberIds(groupId) {
      const rows = await db.query<{ user_id: string }>('SELECT user_id FROM group_members WHERE group_id = $1 AND NOT pending ORDER BY joined_at, user_id', [
        groupId,
      ]);
      return rows.map((r) => r.user_id);
    },
    putMemberKey: (groupId, userId, keyVersion, encryptedKey, at) =>
      db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO group_member_keys (group_id, user_id, key_version, encrypted_key, updated_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (group_id, user_id, key_version) DO UPDATE SET encrypted_key = excluded.encrypted_key, updated_at = excluded.updated_at`,
          [groupId, userId, keyVersion, encryptedKey, at],
        );
        await tx.query(
          `DELETE FROM group_member_keys WHERE group_id = $1 AND user_id = $2
             AND key_version < (SELECT key_version FROM groups WHERE id = $1)`,
          [groupId, userId],
        );
      }),

    async addBan(groupId, userId, at) {
      await db.query('INSERT INTO group_bans (group_id, user_id, banned_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [groupId, userId, at]);
    },
    async isBanned(groupId, userId) {
      const row = await one<{ banned: boolean }>('SELECT EXISTS (SELECT 1 FROM group_bans WHERE group_id = $1 AND user_id = $2) AS banned', [groupId, userId]);
      return row?.banned ?? false;
    },

    createChannel: (channel) => channelWrite(channel.name, insertChannelSql, channelValues(channel)),
    getChannel: (channelId) => one<Channel>(`SELECT ${CHANNEL_COLUMNS} FROM channels WHERE id = $1`, [channelId]),
    listChannels: (groupId) => db.query<Channel>(`SELECT ${CHANNEL_COLUMNS} FROM channels WHERE group_id = $1 ORDER BY created_at, id`, [groupId]),
    async countChannels(groupId) {
      return (await one<{ n: number }>('SELECT count(*) AS n FROM channels WHERE group_id = $1', [groupId]))?.n ?? 0;
    },
    renameChannel: (channelId, name) => channelWrite(name, 'UPDATE channels SET name = $2 WHERE id = $1', [channelId, name]),
    async setChannelMeta(channelId, meta) {
      // Topic and description are nullable, so "keep" is a separate flag rather than a null.
      await db.query(
        `UPDATE channels SET topic = CASE WHEN $2 THEN $3 ELSE topic END, description = CASE WHEN $4 THEN $5 ELSE description END
         WHERE id = $1`,
        [channelId, meta.topic !== undefined, meta.topic ?? null, meta.description !== undefined, meta.description ?? null],
      );
    },
    async deleteChannel(channelId) {
      await db.query('DELETE FROM channels WHERE id = $1', [channelId]); // cascades to its messages
    },

    async addMessage(m) {
      // Left out of its batch, a message whose channel is gone fails as its own insert would have.
      if (!(await messageInserts.run(m))) throw new Error(`group message ${m.id}: no channel ${m.channel_id} in group ${m.group_id} (foreign key)`);
    },
    fetchMessages: (groupId, channelId, since, notBefore, limit) =>
      db.query<GroupMessage>(
        `SELECT ${MESSAGE_COLUMNS} FROM group_messages
         WHERE group_id = $1 AND channel_id = $2 AND "timestamp" > $3 AND "timestamp" >= $4
         ORDER BY "timestamp", id LIMIT $5`,
        [groupId, channelId, since, notBefore, limit + 1],
      ),

    purgeMessagesBefore: (before, max) =>
      db.transaction(async (tx) => {
        const doomed = await tx.query<{ id: string; group_id: string; sender_id: string }>(
          `SELECT id, group_id, sender_id FROM group_messages WHERE "timestamp" < $1 ORDER BY "timestamp" LIMIT $2 FOR UPDATE`,
          [before, max],
        );
        await lockUsage(
          tx,
          doomed.map((m) => m.group_id),
          doomed.map((m) => m.sender_id),
        );
        const gone = await tx.query('DELETE FROM group_messages WHERE id = ANY($1) RETURNING id', [doomed.map((m) => m.id)]);
        return gone.length;
      }),
    async usage(groupId, userId) {
      const [group, key] = await Promise.all([
        one<StorageUsage>('SELECT message_bytes, file_bytes FROM group_usage WHERE group_id = $1', [groupId]),
        one<StorageUsage>('SELECT message_bytes, file_bytes FROM group_key_usage WHERE user_id = $1', [userId]),
      ]);
      return { group: group ?? NO_USAGE, key: key ?? NO_USAGE };
    },

    async sendContext(groupId, channelId, userId) {
      type Parts = Record<'group' | 'member' | 'channel' | 'group_usage' | 'key_usage', object | null> & { member_ids: string[] };
      const [row] = (await db.query<Parts>(SEND_CONTEXT, [groupId, channelId, userId])) as [Parts];
      const part = <T>(value: object | null) => (value ?? undefined) as T | undefined;
      return {
        group: part<Group>(row.group),
        member: part<Member>(row.member),
        channel: part<Channel>(row.channel),
        usage: { group: part<StorageUsage>(row.group_usage) ?? NO_USAGE, key: part<StorageUsage>(row.key_usage) ?? NO_USAGE },
        memberIds: row.member_ids,
      } satisfies SendContext;
    },

    async putAttachment(a) {
      await db.query(
        `INSERT INTO group_attachments (${ATTACHMENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (group_id, att_id) DO UPDATE SET uploader = excluded.uploader, size = excluded.size, created_at = excluded.created_at`,
        [a.group_id, a.att_id, a.uploader, a.size, a.created_at],
      );
    },
    getAttachment: (groupId, attId) =>
      one<GroupAttachment>(`SELECT ${ATTACHMENT_COLUMNS} FROM group_attachments WHERE group_id = $1 AND att_id = $2`, [groupId, attId]),
    purgeAttachmentsBefore: (before, max) =>
      db.transaction(async (tx) => {
        const doomed = await tx.query<{ group_id: string; att_id: string; uploader: string }>(
          'SELECT group_id, att_id, uploader FROM group_attachments WHERE created_at < $1 ORDER BY created_at LIMIT $2 FOR UPDATE',
          [before, max],
        );
        await lockUsage(
          tx,
          doomed.map((a) => a.group_id),
          doomed.map((a) => a.uploader),
        );
        const gone = await tx.query<{ att_id: string }>(
          `DELETE FROM group_attachments a USING unnest($1::text[], $2::text[]) AS d (group_id, att_id)
           WHERE a.group_id = d.group_id AND a.att_id = d.att_id RETURNING a.att_id`,
          [doomed.map((a) => a.group_id), doomed.map((a) => a.att_id)],
        );
        return gone.map((r) => r.att_id);
      }),
    async isAttachmentHeld(attId) {
      const row = await one<{ held: boolean }>('SELECT EXISTS (SELECT 1 FROM group_attachments WHERE att_id = $1) AS held', [attId]);
      return row?.held ?? false;
    },
  };
}
