import { badRequest, ApiError, forbidden, notFound } from '../../core/errors.js';
import { decodeBase64 } from '../../core/encoding.js';
import type { AnalyticsRecorder } from '../analytics/index.js';
import { GroupAccess, MANAGERS } from './group-access.js';
import type { GroupEvents } from './group-events.js';
import { newId, newInviteCode } from './group-ids.js';
import type { Group, GroupStore, MemberKey } from './group-store.js';

export interface GroupLimits {
  maxMembers: number;
  /** Pending requests per group: apart from the members, so a burst of requests never blocks joins. */
  maxJoinRequests: number;
}

/** The original /groups/list and /groups/info shape. */
export const groupSummary = (g: Group) => ({
  id: g.id,
  name: g.name,
  is_public: g.is_public,
  server_distribute: g.server_distribute,
  server_store_history: g.server_store_history,
  owner_id: g.owner_id,
  key_version: g.key_version,
});

/** The original /groups/discover shape (public groups only, so the invite code is public too). */
export const publicGroupSummary = (g: Group) => ({
  id: g.id,
  name: g.name,
  server_distribute: g.server_distribute,
  server_store_history: g.server_store_history,
  owner_id: g.owner_id,
  invite_code: g.invite_code,
  key_version: g.key_version,
  created_at: g.created_at,
});

const SEALED_KEY_MAX_BYTES = 512;

/** Groups, membership, roles and sealed group keys. `actor` is always a proven (or, in compat mode, asserted) key. */
export class GroupService {
  private readonly access: GroupAccess;

  constructor(
    private readonly store: GroupStore,
    private readonly events: GroupEvents,
    private readonly limits: GroupLimits,
    private readonly now: () => number,
    private readonly analytics: AnalyticsRecorder,
  ) {
    this.access = new GroupAccess(store);
  }

  async create(actor: string, name: string, isPublic: boolean): Promise<{ id: string; invite_code: string }> {
    const at = this.now();
    const group: Group = {
      id: newId(),
      name,
      owner_id: actor,
      is_public: isPublic,
      invite_code: newInviteCode(),
      key_version: 1,
      server_distribute: false,
      server_store_history: true,
      created_at: at,
    };
    await this.store.createGroup(group, { id: newId(), group_id: group.id, name: 'general', type: 'text', topic: null, description: null, created_at: at });
    this.analytics.groupCreated();
    return { id: group.id, invite_code: group.invite_code };
  }

  /** By invite code (joins at once) or by group id (public: joins; private: a pending request). */
  async join(actor: string, inviteCode: string | undefined, groupId: string | undefined) {
    let group: Group | undefined;
    if (inviteCode !== undefined) {
      group = await this.store.getGroupByInvite(inviteCode);
      if (group === undefined || (groupId !== undefined && group.id !== groupId.toLowerCase())) throw notFound('INVALID_INVITE', 'Invalid invite code');
    } else if (groupId !== undefined) {
      group = await this.access.group(groupId);
    } else {
      throw badRequest('VALIDATION_FAILED', 'invite_code or group_id is required');
    }
    if (await this.store.isBanned(group.id, actor)) throw forbidden('BANNED', 'You are banned from this group');
    const existing = await this.store.getMember(group.id, actor);
    if (existing !== undefined && !existing.pending) return { status: 'already_member' as const, group_id: group.id };
    const direct = inviteCode !== undefined || group.is_public;
    const counts = await this.store.countMembers(group.id);
    if (direct && counts.members >= this.limits.maxMembers) {
      throw new ApiError(409, 'GROUP_FULL', `The group has reached its limit of ${this.limits.maxMembers} members`);
    }
    if (!direct && existing === undefined && counts.pending >= this.limits.maxJoinRequests) {
      throw new ApiError(409, 'GROUP_FULL', `The group has reached its limit of ${this.limits.maxJoinRequests} pending join requests`);
    }
    await this.store.putMember({ group_id: group.id, user_id: actor, role: 'member', pending: !direct, joined_at: this.now() });
    return direct ? { status: 'joined' as const, group_id: group.id, key_version: group.key_version } : { status: 'pending' as const, group_id: group.id };
  }

  async approve(actor: string, groupId: string, userId: string) {
    const { group } = await this.access.withRole(groupId, actor, MANAGERS);
    const request = await this.store.getMember(group.id, userId);
    if (request === undefined) throw notFound('REQUEST_NOT_FOUND', 'No join request from this user');
    if (request.pending) {
      if ((await this.store.countMembers(group.id)).members >= this.limits.maxMembers) {
        throw new ApiError(409, 'GROUP_FULL', `The group has reached its limit of ${this.limits.maxMembers} members`);
      }
      await this.store.putMember({ ...request, pending: false, joined_at: this.now() });
    }
    return { status: 'approved' as const };
  }

  async leave(actor: string, groupId: string) {
    const group = await this.access.group(groupId);
    const member = await this.store.getMember(group.id, actor);
    if (member === undefined) return { status: 'not_member' as const };
    if (member.role === 'owner') throw new ApiError(409, 'OWNER_CANNOT_LEAVE', 'Transfer ownership or delete the group before leaving');
    await this.store.removeMember(group.id, actor);
    if (member.pending) return { status: 'left' as const, new_key_version: group.key_version };
    const version = await this.store.bumpKeyVersion(group.id);
    await this.events.keyVersion(group.id, version, 'leave');
    return { status: 'left' as const, new_key_version: version };
  }

  async list(actor: string) {
    return { groups: (await this.store.listGroupsOf(actor)).map(groupSummary) };
  }

  /** Public groups are visible to anyone; private ones to their members only. */
  async info(actor: string | undefined, groupId: string) {
    const group = await this.access.group(groupId);
    if (!group.is_public) {
      if (actor === undefined) throw forbidden('NOT_A_MEMBER', 'Not a group member');
      await this.access.member(group.id, actor);
    }
    return groupSummary(group);
  }

  async discover(query: string | undefined, limit: number) {
    return { groups: (await this.store.listPublicGroups(query, limit)).map(publicGroupSummary) };
  }

  async role(actor: string, groupId: string) {
    const { member } = await this.access.member(groupId, actor);
    return { role: member.role };
  }

  async rename(actor: string, groupId: string, name: string) {
    const { group } = await this.access.withRole(groupId, actor, MANAGERS);
    await this.store.updateGroup(group.id, { name });
    return { status: 'renamed' as const, name };
  }

  async rotateInvite(actor: string, groupId: string) {
    const { group } = await this.access.withRole(groupId, actor, MANAGERS);
    const inviteCode = newInviteCode();
    await this.store.updateGroup(group.id, { invite_code: inviteCode });
    return { invite_code: inviteCode };
  }

  /** Owners may ban anyone but themselves; admins may ban members. Bans outlive the membership. */
  async ban(actor: string, groupId: string, target: string) {
    const { group, member } = await this.access.withRole(groupId, actor, MANAGERS);
    const victim = await this.store.getMember(group.id, target);
    if (target === actor) throw badRequest('CANNOT_BAN_SELF', 'You cannot ban yourself');
    if (victim !== undefined && (victim.role === 'owner' || (victim.role === 'admin' && member.role !== 'owner'))) {
      throw forbidden('INSUFFICIENT_ROLE', `Cannot ban the ${victim.role}`);
    }
    await this.store.addBan(group.id, target, this.now());
    if (victim === undefined) return { status: 'not_member' as const };
    await this.store.removeMember(group.id, target);
    const version = await this.store.bumpKeyVersion(group.id);
    await this.events.keyVersion(group.id, version, 'ban');
    return { status: 'banned' as const, new_key_version: version };
  }

  /**
   * The way out of a join burst (owner/admin): removes, in one call, the plain members who joined
   * at or after `since` (newest first, at most `max`), optionally banning them; one key rotation
   * covers them all. Owners and admins are never removed this way.
   */
  async removeRecentMembers(actor: string, groupId: string, since: number, max: number, ban: boolean) {
    const { group } = await this.access.withRole(groupId, actor, MANAGERS);
    const removed = await this.store.removeRecent(group.id, since, false, max);
    if (ban) for (const id of removed) await this.store.addBan(group.id, id, this.now());
    if (removed.length === 0) return { status: 'removed' as const, removed: 0, new_key_version: group.key_version };
    const version = await this.store.bumpKeyVersion(group.id);
    await this.events.keyVersion(group.id, version, 'remove');
    return { status: 'removed' as const, removed: removed.length, new_key_version: version };
  }

  /** Rejects, in one call, the pending join requests made at or after `since` (newest first, at most `max`). */
  async rejectRecentRequests(actor: string, groupId: string, since: number, max: number) {
    const { group } = await this.access.withRole(groupId, actor, MANAGERS);
    const rejected = await this.store.removeRecent(group.id, since, true, max);
    return { status: 'rejected' as const, rejected: rejected.length };
  }

  async rekey(actor: string, groupId: string) {
    const { group } = await this.access.withRole(groupId, actor, MANAGERS);
    const version = await this.store.bumpKeyVersion(group.id);
    await this.events.keyVersion(group.id, version, 'rekey');
    return { key_version: version };
  }

  async transferOwner(actor: string, groupId: string, newOwner: string) {
    const { group } = await this.access.withRole(groupId, actor, ['owner']);
    const next = await this.store.getMember(group.id, newOwner);
    if (next === undefined || next.pending) throw notFound('MEMBER_NOT_FOUND', 'The new owner must be a member of the group');
    if (newOwner !== actor) await this.store.transferOwnership(group.id, actor, newOwner);
    return { status: 'transferred' as const, new_owner: newOwner };
  }

  async setFlag(actor: string, groupId: string, flag: 'is_public' | 'server_distribute' | 'server_store_history', value: boolean) {
    const { group } = await this.access.withRole(groupId, actor, MANAGERS);
    await this.store.updateGroup(group.id, { [flag]: value });
    return { [flag]: value };
  }

  /** Owners and admins only; removes channels, messages, keys and attachment records. Returns the attachment ids it held. */
  async delete(actor: string, groupId: string): Promise<string[]> {
    const { group } = await this.access.withRole(groupId, actor, MANAGERS);
    return this.remove(group);
  }

  /** The operator's deletion (admin API): any group, as its owner could. Returns the attachment ids it held. */
  async deleteAsOperator(groupId: string): Promise<string[]> {
    return this.remove(await this.access.group(groupId));
  }

  private async remove(group: Group): Promise<string[]> {
    const held = await this.store.deleteGroup(group.id);
    this.analytics.groupDeleted();
    return held;
  }

  async count(): Promise<number> {
    return this.store.countGroups();
  }

  /**
   * Members and their sealed keys at the current version; members only. `actor` undefined: the
   * caller named nobody (compat mode only), answered for anyone as the original server did; each
   * sealed key opens only for its own member.
   */
  async memberKeys(
    actor: string | undefined,
    groupId: string,
  ): Promise<{ key_version: number; server_distribute: boolean; server_store_history: boolean; members: MemberKey[] }> {
    const group = actor === undefined ? await this.access.group(groupId) : (await this.access.member(groupId, actor)).group;
    return {
      key_version: group.key_version,
      server_distribute: group.server_distribute,
      server_store_history: group.server_store_history,
      members: await this.store.listMemberKeys(group.id, group.key_version),
    };
  }

  /** A member stores its own sealed key; owners and admins distribute keys to every member. */
  async updateMemberKey(actor: string, groupId: string, target: string, sealedKey: string, keyVersion: number) {
    const { group, member } = await this.access.member(groupId, actor);
    if (target !== actor && !MANAGERS.includes(member.role)) throw forbidden('INSUFFICIENT_ROLE', "Only owners and admins may store another member's key");
    const recipient = await this.store.getMember(group.id, target);
    if (recipient === undefined || recipient.pending) throw notFound('MEMBER_NOT_FOUND', 'Member not found');
    if (keyVersion < 1 || keyVersion > group.key_version)
      throw new ApiError(409, 'KEY_VERSION_MISMATCH', `Key version must be between 1 and the group's ${group.key_version}`);
    if (decodeBase64(sealedKey, 'encrypted_key_b64').length > SEALED_KEY_MAX_BYTES) throw badRequest('VALIDATION_FAILED', 'encrypted_key_b64 is too long');
    await this.store.putMemberKey(group.id, target, keyVersion, sealedKey, this.now());
    return { status: 'ok' as const };
  }
}
