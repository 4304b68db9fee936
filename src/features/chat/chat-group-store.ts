/** A chat-app group: a named member list and the version of the key its members share. Times are Unix seconds. */
export interface ChatGroup {
  groupId: string;
  name: string;
  creatorId: string;
  /** In the order they joined. */
  memberIds: string[];
  keyVersion: number;
  createdAt: number;
  updatedAt: number;
}

/** The outcome of a membership change. */
export type MembershipChange =
  /** Done: the key version moved forward; the members after the change. */
  | { status: 'changed'; keyVersion: number; memberIds: string[] }
  /** The acting user is not a member (or there is no such group): nothing changed. */
  | { status: 'actor_not_member' }
  /** Adding a member, or removing a non-member: nothing to do. */
  | { status: 'unchanged' }
  /** The group already has the most members allowed. */
  | { status: 'full' };

/**
 * Durable state of the chat-app groups. Each membership change is one atomic step: the acting
 * member's membership is checked, the member list changed and key_version incremented together,
 * so concurrent changes each get their own key version.
 */
export interface ChatGroupStore {
  /** False (and nothing stored) when the group id is taken. */
  create(group: ChatGroup): Promise<boolean>;
  get(groupId: string): Promise<ChatGroup | undefined>;
  /** Groups the user is a member of, oldest first. */
  listOf(userId: string): Promise<ChatGroup[]>;
  addMember(change: { groupId: string; actorId: string; userId: string; at: number; maxMembers: number }): Promise<MembershipChange>;
  removeMember(change: { groupId: string; actorId: string; userId: string; at: number }): Promise<MembershipChange>;
}
