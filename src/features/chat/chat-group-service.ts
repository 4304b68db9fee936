import { ApiError, badRequest, forbidden } from '../../core/errors.js';
import type { ChatEventSink } from './chat-event-sink.js';
import type { ChatGroup, ChatGroupStore, MembershipChange } from './chat-group-store.js';
import type { ChatUserStore } from './chat-user-store.js';

export interface KeyVersionAnswer {
  success: true;
  new_key_version: number;
}

/** Why a member's key moved forward, in the GROUP_KEY_UPDATE event's metadata. */
type KeyUpdateReason = 'member_added' | 'member_removed';

const KEY_UPDATE_EVENT = 'GROUP_KEY_UPDATE';
const notMember = () => forbidden('NOT_GROUP_MEMBER', 'Not a member of this group');

/**
 * Chat-app groups: a member list and a key version. Any member may add or remove anyone (there
 * are no roles, as in the original); each change moves key_version forward and tells every member
 * concerned with a GROUP_KEY_UPDATE server event, so clients know to rotate the group key.
 */
export class ChatGroupService {
  constructor(
    private readonly deps: {
      groups: ChatGroupStore;
      users: ChatUserStore;
      /** Absent: membership changes are not announced (clients must then send their own GROUP_KEY_UPDATE events). */
      events: ChatEventSink | undefined;
      maxMembers: number;
      now: () => number;
      onError: (err: unknown) => void;
    },
  ) {}

  async create(creatorId: string, input: { groupId: string; name: string; memberIds: readonly string[] }): Promise<ChatGroup> {
    // As the original, the creator is appended when the list leaves them out; repeated ids count once.
    const memberIds = [...new Set([...input.memberIds, creatorId])];
    if (memberIds.length > this.deps.maxMembers) throw groupFull('Failed to create group');
    await this.requireRegistered(memberIds, 'Failed to create group');
    const now = this.deps.now();
    const group: ChatGroup = { groupId: input.groupId, name: input.name, creatorId, memberIds, keyVersion: 1, createdAt: now, updatedAt: now };
    if (!(await this.deps.groups.create(group))) throw badRequest('GROUP_EXISTS', 'Failed to create group');
    return group;
  }

  listOf(userId: string): Promise<ChatGroup[]> {
    return this.deps.groups.listOf(userId);
  }

  /** The group, to its members only: 403 also when it does not exist, so ids cannot be probed. */
  async get(callerId: string, groupId: string): Promise<ChatGroup> {
    const group = await this.deps.groups.get(groupId);
    if (group === undefined || !group.memberIds.includes(callerId)) throw notMember();
    return group;
  }

  async addMember(callerId: string, groupId: string, userId: string): Promise<KeyVersionAnswer> {
    await this.get(callerId, groupId); // a non-member learns nothing, not even whether userId is registered
    await this.requireRegistered([userId], 'Failed to add member');
    const change = await this.deps.groups.addMember({ groupId, actorId: callerId, userId, at: this.deps.now(), maxMembers: this.deps.maxMembers });
    return this.answer(change, groupId, userId, 'member_added');
  }

  async removeMember(callerId: string, groupId: string, userId: string): Promise<KeyVersionAnswer> {
    const change = await this.deps.groups.removeMember({ groupId, actorId: callerId, userId, at: this.deps.now() });
    return this.answer(change, groupId, userId, 'member_removed');
  }

  /** Answers a membership change and, when it happened, tells the members and the one added or removed. */
  private async answer(change: MembershipChange, groupId: string, userId: string, reason: KeyUpdateReason): Promise<KeyVersionAnswer> {
    const failed = reason === 'member_added' ? 'Failed to add member' : 'Failed to remove member';
    switch (change.status) {
      case 'actor_not_member':
        throw notMember();
      case 'full':
        throw groupFull(failed);
      case 'unchanged':
        throw reason === 'member_added' ? badRequest('ALREADY_MEMBER', failed) : badRequest('NOT_IN_GROUP', failed);
      case 'changed': {
        const recipients = new Set([...change.memberIds, userId]);
        await this.notify([...recipients], { group_id: groupId, key_version: change.keyVersion, reason, user_id: userId });
        return { success: true, new_key_version: change.keyVersion };
      }
    }
  }

  /** One event per recipient; a recipient whose queue refuses it does not undo the change for the others. */
  private async notify(recipients: string[], metadata: Record<string, unknown>): Promise<void> {
    const { events, onError } = this.deps;
    if (events === undefined) return;
    const outcomes = await Promise.allSettled(recipients.map((id) => events.deliverServerEvent(id, KEY_UPDATE_EVENT, metadata)));
    for (const outcome of outcomes) if (outcome.status === 'rejected') onError(outcome.reason);
  }

  /** Members must be registered: only they have a public key to receive the group key with, and a queue for its updates. */
  private async requireRegistered(userIds: string[], failed: string): Promise<void> {
    const registered = await this.deps.users.publicKeys(userIds);
    const missing = userIds.filter((id) => !registered.has(id));
    if (missing.length === 0) return;
    const more = missing.length > 1 ? ` (and ${missing.length - 1} more)` : '';
    throw badRequest('USER_NOT_REGISTERED', `${failed}: ${missing[0]} is not registered${more}`);
  }
}

const groupFull = (failed: string) => new ApiError(409, 'GROUP_FULL', `${failed}: the group has the most members allowed (max_group_members)`);
