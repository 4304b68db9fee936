import Database from 'better-sqlite3';
import {
  DuplicateChannelError,
  type Channel,
  type Group,
  type GroupAttachment,
  type GroupMessage,
  type GroupRole,
  type GroupStore,
  type Member,
  type MemberKey,
  readSendContext,
  type StorageUsage,
} from '../../features/groups/index.js';
import type { SqliteDatabase } from './sqlite-database.js';
import type { SqliteWriteBatcher } from './write-batcher.js';

// Booleans are stored as 0/1 and come back as numbers.
interface GroupRow extends Omit<Group, 'is_public' | 'server_distribute' | 'server_store_history'> {
  is_public: number;
  server_distribute: number;
  server_store_history: number;
}
interface MemberRow extends Omit<Member, 'pending'> {
  pending: number;
}

const GROUP_COLUMNS = 'id, name, owner_id, is_public, invite_code, key_version, server_distribute, server_store_history, created_at';
const CHANNEL_COLUMNS = 'id, group_id, name, type, topic, description, created_at';
const MESSAGE_COLUMNS = 'id, group_id, channel_id, sender_id, ciphertext, nonce, key_version, timestamp, attachment_meta';

const bit = (value: boolean): number => (value ? 1 : 0);
const bitOrNull = (value: boolean | undefined): number | null => (value === undefined ? null : bit(value));

const toGroup = (r: GroupRow): Group => ({
  ...r,
  is_public: r.is_public !== 0,
  server_distribute: r.server_distribute !== 0,
  server_store_history: r.server_store_history !== 0,
});
const toMember = (r: MemberRow): Member => ({ ...r, pending: r.pending !== 0 });

/** `%`, `_` and the escape character itself match literally in the LIKE pattern built from user input. */
const containsPattern = (query: string): string => `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

const isUniqueViolation = (error: unknown): boolean => error instanceof Database.SqliteError && error.code === 'SQLITE_CONSTRAINT_UNIQUE';

export function createSqliteGroupStore(db: SqliteDatabase, writes: SqliteWriteBatcher): GroupStore {
  // Groups
  const insertGroup = db.prepare(
    `INSERT INTO groups (${GROUP_COLUMNS})
     VALUES (@id, @name, @owner_id, @is_public, @invite_code, @key_version, @server_distribute, @server_store_history, @created_at)`,
  );
  const selectGroup = db.prepare<[string], GroupRow>(`SELECT ${GROUP_COLUMNS} FROM groups WHERE id = ?`);
  const selectGroupByInvite = db.prepare<[string], GroupRow>(`SELECT ${GROUP_COLUMNS} FROM groups WHERE invite_code = ?`);
  // Every updatable column is NOT NULL, so a null parameter means "keep".
  const updateGroupRow = db.prepare(
    `UPDATE groups SET name = coalesce(@name, name), is_public = coalesce(@is_public, is_public),
       invite_code = coalesce(@invite_code, invite_code), server_distribute = coalesce(@server_distribute, server_distribute),
       server_store_history = coalesce(@server_store_history, server_store_history)
     WHERE id = @id`,
  );
  const bumpKey = db.prepare<[string], { key_version: number }>('UPDATE groups SET key_version = key_version + 1 WHERE id = ? RETURNING key_version');
  const setOwner = db.prepare('UPDATE groups SET owner_id = ? WHERE id = ?');
  const groupAttIds = db.prepare<[string], { att_id: string }>('SELECT att_id FROM group_attachments WHERE group_id = ?');
  const deleteGroupRow = db.prepare('DELETE FROM groups WHERE id = ?');
  const countGroupRows = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM groups');
  const selectGroupsOf = db.prepare<[string], GroupRow>(
    `SELECT ${GROUP_COLUMNS.split(', ')
      .map((c) => `g.${c}`)
      .join(', ')}
     FROM group_members m JOIN groups g ON g.id = m.group_id
     WHERE m.user_id = ? AND m.pending = 0 ORDER BY g.created_at, g.id`,
  );
  // `is_public = 1` literally, so the partial index serves both the filter and the order.
  const selectPublic = db.prepare<{ pattern: string | null; limit: number }, GroupRow>(
    `SELECT ${GROUP_COLUMNS} FROM groups
     WHERE is_public = 1 AND (@pattern IS NULL OR name LIKE @pattern ESCAPE '\\')
     ORDER BY created_at DESC, id DESC LIMIT @limit`,
  );

  // Members and their keys
  const selectMember = db.prepare<[string, string], MemberRow>(
    'SELECT group_id, user_id, role, pending, joined_at FROM group_members WHERE group_id = ? AND user_id = ?',
  );
  const upsertMember = db.prepare(
    `INSERT INTO group_members (group_id, user_id, role, pending, joined_at) VALUES (@group_id, @user_id, @role, @pending, @joined_at)
     ON CONFLICT (group_id, user_id) DO UPDATE SET role = excluded.role, pending = excluded.pending, joined_at = excluded.joined_at`,
  );
  const deleteMember = db.prepare('DELETE FROM group_members WHERE group_id = ? AND user_id = ?');
  const deleteMemberKeys = db.prepare('DELETE FROM group_member_keys WHERE group_id = ? AND user_id = ?');
  const selectRecent = db.prepare<{ group_id: string; since: number; pending: number; max: number }, { user_id: string }>(
    `SELECT user_id FROM group_members
     WHERE group_id = @group_id AND pending = @pending AND role = 'member' AND joined_at >= @since
     ORDER BY joined_at DESC, user_id LIMIT @max`,
  );
  const deleteOldRequests = db.prepare<[number, number]>(
    `DELETE FROM group_members WHERE (group_id, user_id) IN
       (SELECT group_id, user_id FROM group_members WHERE pending = 1 AND joined_at < ? ORDER BY joined_at LIMIT ?)`,
  );
  const updateRole = db.prepare<[GroupRole, string, string]>('UPDATE group_members SET role = ? WHERE group_id = ? AND user_id = ?');
  const countByState = db.prepare<[string], { members: number; pending: number }>(
    `SELECT count(*) FILTER (WHERE pending = 0) AS members, count(*) FILTER (WHERE pending <> 0) AS pending
     FROM group_members WHERE group_id = ?`,
  );
  const selectMemberKeys = db.prepare<{ group_id: string; key_version: number }, MemberKey>(
    `SELECT m.user_id, m.role, k.encrypted_key AS encrypted_group_key, k.key_version
     FROM group_members m
     LEFT JOIN group_member_keys k ON k.group_id = m.group_id AND k.user_id = m.user_id AND k.key_version = @key_version
     WHERE m.group_id = @group_id AND m.pending = 0 ORDER BY m.joined_at, m.user_id`,
  );
  const selectMemberIds = db.prepare<[string], { user_id: string }>(
    'SELECT user_id FROM group_members WHERE group_id = ? AND pending = 0 ORDER BY joined_at, user_id',
  );
  const upsertMemberKey = db.prepare<[string, string, number, string, number]>(
    `INSERT INTO group_member_keys (group_id, user_id, key_version, encrypted_key, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (group_id, user_id, key_version) DO UPDATE SET encrypted_key = excluded.encrypted_key, updated_at = excluded.updated_at`,
  );
  const deleteStaleKeys = db.prepare<{ group_id: string; user_id: string }>(
    `DELETE FROM group_member_keys WHERE group_id = @group_id AND user_id = @user_id
       AND key_version < (SELECT key_version FROM groups WHERE id = @group_id)`,
  );

  // Bans
  const insertBan = db.prepare<[string, string, number]>(
    'INSERT INTO group_bans (group_id, user_id, banned_at) VALUES (?, ?, ?) ON CONFLICT (group_id, user_id) DO NOTHING',
  );
  const selectBan = db.prepare<[string, string], { banned: number }>('SELECT EXISTS (SELECT 1 FROM group_bans WHERE group_id = ? AND user_id = ?) AS banned');

  // Channels
  const insertChannel = db.prepare(`INSERT INTO channels (${CHANNEL_COLUMNS}) VALUES (@id, @group_id, @name, @type, @topic, @description, @created_at)`);
  const selectChannel = db.prepare<[string], Channel>(`SELECT ${CHANNEL_COLUMNS} FROM channels WHERE id = ?`);
  const selectChannels = db.prepare<[string], Channel>(`SELECT ${CHANNEL_COLUMNS} FROM channels WHERE group_id = ? ORDER BY created_at, id`);
  const countChannelRows = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM channels WHERE group_id = ?');
  const updateChannelName = db.prepare<[string, string]>('UPDATE channels SET name = ? WHERE id = ?');
  // Topic and description are nullable, so "keep" is a separate flag rather than a null.
  const updateChannelMeta = db.prepare<{
    id: string;
    set_topic: number;
    topic: string | null;
    set_description: number;
    description: string | null;
  }>(
    `UPDATE channels SET topic = CASE WHEN @set_topic THEN @topic ELSE topic END,
       description = CASE WHEN @set_description THEN @description ELSE description END
     WHERE id = @id`,
  );
  const deleteChannelRow = db.prepare('DELETE FROM channels WHERE id = ?');

  // Messages
  const insertMessage = db.prepare(
    `INSERT INTO group_messages (${MESSAGE_COLUMNS})
     VALUES (@id, @group_id, @channel_id, @sender_id, @ciphertext, @nonce, @key_version, @timestamp, @attachment_meta)`,
  );
  const selectMessages = db.prepare<{ group_id: string; channel_id: string; since: number; not_before: number; limit: number }, GroupMessage>(
    `SELECT ${MESSAGE_COLUMNS} FROM group_messages
     WHERE group_id = @group_id AND channel_id = @channel_id AND timestamp > @since AND timestamp >= @not_before
     ORDER BY timestamp, id LIMIT @limit`,
  );

  const deleteOldMessages = db.prepare<[number, number]>(
    'DELETE FROM group_messages WHERE id IN (SELECT id FROM group_messages WHERE timestamp < ? ORDER BY timestamp LIMIT ?)',
  );
  const selectGroupUsage = db.prepare<[string], StorageUsage>('SELECT message_bytes, file_bytes FROM group_usage WHERE group_id = ?');
  const selectKeyUsage = db.prepare<[string], StorageUsage>('SELECT message_bytes, file_bytes FROM group_key_usage WHERE user_id = ?');

  // Attachments
  const upsertAttachment = db.prepare(
    `INSERT INTO group_attachments (group_id, att_id, uploader, size, created_at) VALUES (@group_id, @att_id, @uploader, @size, @created_at)
     ON CONFLICT (group_id, att_id) DO UPDATE SET uploader = excluded.uploader, size = excluded.size, created_at = excluded.created_at`,
  );
  const selectAttachment = db.prepare<[string, string], GroupAttachment>(
    'SELECT group_id, att_id, uploader, size, created_at FROM group_attachments WHERE group_id = ? AND att_id = ?',
  );
  const deleteOldAttachments = db.prepare<[number, number], { att_id: string }>(
    `DELETE FROM group_attachments WHERE (group_id, att_id) IN
       (SELECT group_id, att_id FROM group_attachments WHERE created_at < ? ORDER BY created_at LIMIT ?)
     RETURNING att_id`,
  );
  const selectHeld = db.prepare<[string], { held: number }>('SELECT EXISTS (SELECT 1 FROM group_attachments WHERE att_id = ?) AS held');

  const groupParams = (g: Group) => ({
    ...g,
    is_public: bit(g.is_public),
    server_distribute: bit(g.server_distribute),
    server_store_history: bit(g.server_store_history),
  });

  /** Runs a channel write, reporting a taken (group_id, name) as DuplicateChannelError. */
  const channelWrite = (name: string, work: () => void) =>
    writes.run(() => {
      try {
        work();
      } catch (error) {
        // The id is the primary key (SQLITE_CONSTRAINT_PRIMARYKEY): the only UNIQUE is (group_id, name).
        if (isUniqueViolation(error)) throw new DuplicateChannelError(name);
        throw error;
      }
    });

  const store: GroupStore = {
    createGroup: (group, firstChannel) =>
      writes.run(() => {
        insertGroup.run(groupParams(group));
        upsertMember.run({ group_id: group.id, user_id: group.owner_id, role: 'owner', pending: 0, joined_at: group.created_at });
        insertChannel.run(firstChannel);
      }),
    async getGroup(groupId) {
      const row = selectGroup.get(groupId);
      return row && toGroup(row);
    },
    async getGroupByInvite(inviteCode) {
      const row = selectGroupByInvite.get(inviteCode);
      return row && toGroup(row);
    },
    updateGroup: (groupId, update) =>
      writes.run(() => {
        updateGroupRow.run({
          id: groupId,
          name: update.name ?? null,
          is_public: bitOrNull(update.is_public),
          invite_code: update.invite_code ?? null,
          server_distribute: bitOrNull(update.server_distribute),
          server_store_history: bitOrNull(update.server_store_history),
        });
      }),
    bumpKeyVersion: (groupId) =>
      writes.run(() => {
        const row = bumpKey.get(groupId);
        if (row === undefined) throw new Error(`unknown group ${groupId}`);
        return row.key_version;
      }),
    transferOwnership: (groupId, previousOwner, newOwner) =>
      writes.run(() => {
        // Throwing rolls the whole step back rather than leaving an owner_id without its owner row.
        if (setOwner.run(newOwner, groupId).changes === 0) throw new Error(`unknown group ${groupId}`);
        if (updateRole.run('owner', groupId, newOwner).changes === 0) throw new Error(`${newOwner} is not a member of ${groupId}`);
        if (previousOwner !== newOwner) updateRole.run('admin', groupId, previousOwner);
      }),
    deleteGroup: (groupId) =>
      writes.run(() => {
        const attIds = groupAttIds.all(groupId).map((r) => r.att_id);
        deleteGroupRow.run(groupId); // cascades to members, keys, bans, channels, messages, attachments
        return attIds;
      }),
    async listGroupsOf(userId) {
      return selectGroupsOf.all(userId).map(toGroup);
    },
    async listPublicGroups(query, limit) {
      const pattern = query === undefined || query === '' ? null : containsPattern(query);
      return selectPublic.all({ pattern, limit }).map(toGroup);
    },
    async countGroups() {
      return countGroupRows.get()!.n;
    },

    async getMember(groupId, userId) {
      const row = selectMember.get(groupId, userId);
      return row && toMember(row);
    },
    putMember: (member) => writes.run(() => void upsertMember.run({ ...member, pending: bit(member.pending) })),
    removeMember: (groupId, userId) =>
      writes.run(() => {
        deleteMemberKeys.run(groupId, userId);
        return deleteMember.run(groupId, userId).changes > 0;
      }),
    removeRecent: (groupId, since, pending, max) =>
      writes.run(() => {
        const ids = selectRecent.all({ group_id: groupId, since, pending: bit(pending), max }).map((r) => r.user_id);
        for (const id of ids) {
          deleteMemberKeys.run(groupId, id);
          deleteMember.run(groupId, id);
        }
        return ids;
      }),
    purgeRequestsBefore: (before, max) => writes.run(() => deleteOldRequests.run(before, max).changes),
    setRole: (groupId, userId, role) => writes.run(() => void updateRole.run(role, groupId, userId)),
    async countMembers(groupId) {
      return countByState.get(groupId) ?? { members: 0, pending: 0 };
    },
    async listMemberKeys(groupId, keyVersion) {
      return selectMemberKeys.all({ group_id: groupId, key_version: keyVersion });
    },
    async listMemberIds(groupId) {
      return selectMemberIds.all(groupId).map((r) => r.user_id);
    },
    putMemberKey: (groupId, userId, keyVersion, encryptedKey, at) =>
      writes.run(() => {
        upsertMemberKey.run(groupId, userId, keyVersion, encryptedKey, at);
        deleteStaleKeys.run({ group_id: groupId, user_id: userId });
      }),

    addBan: (groupId, userId, at) => writes.run(() => void insertBan.run(groupId, userId, at)),
    async isBanned(groupId, userId) {
      return (selectBan.get(groupId, userId)?.banned ?? 0) !== 0;
    },

    createChannel: (channel) => channelWrite(channel.name, () => void insertChannel.run(channel)),
    async getChannel(channelId) {
      return selectChannel.get(channelId);
    },
    async listChannels(groupId) {
      return selectChannels.all(groupId);
    },
    async countChannels(groupId) {
      return countChannelRows.get(groupId)?.n ?? 0;
    },
    renameChannel: (channelId, name) => channelWrite(name, () => void updateChannelName.run(name, channelId)),
    setChannelMeta: (channelId, meta) =>
      writes.run(() => {
        updateChannelMeta.run({
          id: channelId,
          set_topic: bit(meta.topic !== undefined),
          topic: meta.topic ?? null,
          set_description: bit(meta.description !== undefined),
          description: meta.description ?? null,
        });
      }),
    deleteChannel: (channelId) => writes.run(() => void deleteChannelRow.run(channelId)), // cascades to its messages

    addMessage: (message) => writes.run(() => void insertMessage.run(message)),
    async fetchMessages(groupId, channelId, since, notBefore, limit) {
      return selectMessages.all({ group_id: groupId, channel_id: channelId, since, not_before: notBefore, limit: limit + 1 });
    },

    purgeMessagesBefore: (before, max) => writes.run(() => deleteOldMessages.run(before, max).changes),
    async usage(groupId, userId) {
      const none = { message_bytes: 0, file_bytes: 0 };
      return { group: selectGroupUsage.get(groupId) ?? none, key: selectKeyUsage.get(userId) ?? none };
    },
    sendContext: (groupId, channelId, userId) => readSendContext(store, groupId, channelId, userId),

    putAttachment: (attachment) => writes.run(() => void upsertAttachment.run(attachment)),
    async getAttachment(groupId, attId) {
      return selectAttachment.get(groupId, attId);
    },
    purgeAttachmentsBefore: (before, max) => writes.run(() => deleteOldAttachments.all(before, max).map((r) => r.att_id)),
    async isAttachmentHeld(attId) {
      return (selectHeld.get(attId)?.held ?? 0) !== 0;
    },
  };
  return store;
}
