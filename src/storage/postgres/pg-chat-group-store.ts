import type { ChatGroupStore, MembershipChange } from '../../features/chat/index.js';
import { toChatGroup, type ChatGroupRow as Row } from '../chat-rows.js';
import { anyRow, countOf, type PgDatabase, type PgQueryable, prepared } from './pg-database.js';

const SELECT_GROUP = `SELECT g.group_id, g.name, g.creator_id, g.key_version, g.created_at, g.updated_at,
  array(SELECT m.user_id FROM chat_group_members m WHERE m.group_id = g.group_id ORDER BY m.id) AS member_ids
  FROM chat_groups g`;
/** Read on every group event (its members): prepared. */
const GET_GROUP = prepared('chat_group_get', `${SELECT_GROUP} WHERE g.group_id = $1`);

/**
 * Chat-app groups on PostgreSQL, safe with any number of nodes on one database. A membership change
 * locks its group's row first, so the changes of one group run one after another on every node: the
 * membership checks and the member cap see the previous change, and each change gets its own key version.
 */
export function createPgChatGroupStore(db: PgDatabase): ChatGroupStore {
  const isMember = (tx: PgQueryable, groupId: string, userId: string) =>
    anyRow(tx, 'SELECT 1 FROM chat_group_members WHERE group_id = $1 AND user_id = $2', [groupId, userId]);
  const addRow = (tx: PgQueryable, groupId: string, userId: string) =>
    tx.query('INSERT INTO chat_group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [groupId, userId]);

  /** The group lock, the membership check, `apply` and the key version bump as one transaction. */
  const change = (groupId: string, actorId: string, at: number, apply: (tx: PgQueryable) => Promise<MembershipChange | undefined>) =>
    db.transaction(async (tx): Promise<MembershipChange> => {
      // Each check below is a statement of its own, so it sees whatever the previous holder of the lock committed.
      const locked = await anyRow(tx, 'SELECT 1 FROM chat_groups WHERE group_id = $1 FOR UPDATE', [groupId]);
      if (!locked || !(await isMember(tx, groupId, actorId))) return { status: 'actor_not_member' };
      const refused = await apply(tx);
      if (refused !== undefined) return refused;
      const [bumped] = await tx.query<{ key_version: number; member_ids: string[] }>(
        `UPDATE chat_groups SET key_version = key_version + 1, updated_at = $2 WHERE group_id = $1
         RETURNING key_version, array(SELECT user_id FROM chat_group_members WHERE group_id = $1 ORDER BY id) AS member_ids`,
        [groupId, at],
      );
      return { status: 'changed', keyVersion: bumped!.key_version, memberIds: bumped!.member_ids }; // the group row is locked, so it is there
    });

  return {
    create: (group) =>
      db.transaction(async (tx) => {
        const created = await anyRow(
          tx,
          `INSERT INTO chat_groups (group_id, name, creator_id, key_version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (group_id) DO NOTHING RETURNING 1`,
          [group.groupId, group.name, group.creatorId, group.keyVersion, group.createdAt, group.updatedAt],
        );
        if (!created) return false;
        // One by one: the identity column then follows the order of memberIds.
        for (const userId of group.memberIds) await addRow(tx, group.groupId, userId);
        return true;
      }),
    async get(groupId) {
      const [row] = await db.query<Row>(GET_GROUP, [groupId]);
      return row === undefined ? undefined : toChatGroup(row);
    },
    async listOf(userId) {
      const rows = await db.query<Row>(`${SELECT_GROUP} WHERE g.group_id IN (SELECT group_id FROM chat_group_members WHERE user_id = $1) ORDER BY g.seq`, [
        userId,
      ]);
      return rows.map(toChatGroup);
    },
    addMember: ({ groupId, actorId, userId, at, maxMembers }) =>
      change(groupId, actorId, at, async (tx) => {
        if (await isMember(tx, groupId, userId)) return { status: 'unchanged' };
        if ((await countOf(tx, 'SELECT count(*) AS n FROM chat_group_members WHERE group_id = $1', [groupId])) >= maxMembers) return { status: 'full' };
        await addRow(tx, groupId, userId);
        return undefined;
      }),
    removeMember: ({ groupId, actorId, userId, at }) =>
      change(groupId, actorId, at, async (tx) => {
        const gone = await anyRow(tx, 'DELETE FROM chat_group_members WHERE group_id = $1 AND user_id = $2 RETURNING 1', [groupId, userId]);
        return gone ? undefined : { status: 'unchanged' };
      }),
  };
}
