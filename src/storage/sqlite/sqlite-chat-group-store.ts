import type { ChatGroup, ChatGroupStore, MembershipChange } from '../../features/chat/index.js';
import { toChatGroup, type ChatGroupRow } from '../chat-rows.js';
import type { SqliteDatabase } from './sqlite-database.js';
import type { SqliteWriteBatcher } from './write-batcher.js';

interface Row extends Omit<ChatGroupRow, 'member_ids'> {
  /** JSON array, in joining order. */
  member_ids: string;
}

const SELECT_GROUP = `SELECT g.group_id, g.name, g.creator_id, g.key_version, g.created_at, g.updated_at,
  (SELECT json_group_array(m.user_id ORDER BY m.id) FROM chat_group_members m WHERE m.group_id = g.group_id) AS member_ids
  FROM chat_groups g`;

const toGroup = (r: Row): ChatGroup => toChatGroup({ ...r, member_ids: JSON.parse(r.member_ids) as string[] });

export function createSqliteChatGroupStore(db: SqliteDatabase, writes: SqliteWriteBatcher): ChatGroupStore {
  const insertGroup = db.prepare(
    `INSERT INTO chat_groups (group_id, name, creator_id, key_version, created_at, updated_at)
     VALUES (@groupId, @name, @creatorId, @keyVersion, @createdAt, @updatedAt) ON CONFLICT (group_id) DO NOTHING`,
  );
  const insertMember = db.prepare('INSERT INTO chat_group_members (group_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING');
  const deleteMember = db.prepare('DELETE FROM chat_group_members WHERE group_id = ? AND user_id = ?');
  const isMember = db.prepare<[string, string], { found: number }>('SELECT 1 AS found FROM chat_group_members WHERE group_id = ? AND user_id = ?');
  const countMembers = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM chat_group_members WHERE group_id = ?');
  const memberIds = db.prepare<[string], { user_id: string }>('SELECT user_id FROM chat_group_members WHERE group_id = ? ORDER BY id');
  const bumpKeyVersion = db.prepare<[number, string], { key_version: number }>(
    'UPDATE chat_groups SET key_version = key_version + 1, updated_at = ? WHERE group_id = ? RETURNING key_version',
  );
  const byId = db.prepare<[string], Row>(`${SELECT_GROUP} WHERE g.group_id = ?`);
  const ofUser = db.prepare<[string], Row>(`${SELECT_GROUP} WHERE g.group_id IN (SELECT group_id FROM chat_group_members WHERE user_id = ?) ORDER BY g.rowid`);

  const member = (groupId: string, userId: string) => isMember.get(groupId, userId) !== undefined;

  /** The membership check, `apply` and the key version bump as one write. */
  const change = (groupId: string, actorId: string, at: number, apply: () => MembershipChange | undefined) =>
    writes.run((): MembershipChange => {
      if (!member(groupId, actorId)) return { status: 'actor_not_member' };
      const refused = apply();
      if (refused !== undefined) return refused;
      const { key_version: keyVersion } = bumpKeyVersion.get(at, groupId) as { key_version: number };
      return { status: 'changed', keyVersion, memberIds: memberIds.all(groupId).map((r) => r.user_id) };
    });

  return {
    create: (group) =>
      writes.run(() => {
        if (insertGroup.run(group).changes === 0) return false;
        for (const userId of group.memberIds) insertMember.run(group.groupId, userId);
        return true;
      }),
    get: async (groupId) => {
      const row = byId.get(groupId);
      return row === undefined ? undefined : toGroup(row);
    },
    listOf: async (userId) => ofUser.all(userId).map(toGroup),
    addMember: ({ groupId, actorId, userId, at, maxMembers }) =>
      change(groupId, actorId, at, () => {
        if (member(groupId, userId)) return { status: 'unchanged' };
        if ((countMembers.get(groupId)?.n ?? 0) >= maxMembers) return { status: 'full' };
        insertMember.run(groupId, userId);
        return undefined;
      }),
    removeMember: ({ groupId, actorId, userId, at }) =>
      change(groupId, actorId, at, () => (deleteMember.run(groupId, userId).changes === 0 ? { status: 'unchanged' } : undefined)),
  };
}
