import { forbidden, notFound } from '../../core/errors.js';
import type { Channel, Group, GroupRole, GroupStore, Member } from './group-store.js';

export const MANAGERS: readonly GroupRole[] = ['owner', 'admin'];

/** The group, which must exist. */
export function foundGroup(group: Group | undefined): Group {
  if (group === undefined) throw notFound('GROUP_NOT_FOUND', 'Group not found');
  return group;
}

/** The caller's membership, which must be a member's (pending requests are not members). */
export function activeMember(member: Member | undefined): Member {
  if (member === undefined || member.pending) throw forbidden('NOT_A_MEMBER', 'Not a group member');
  return member;
}

/** A channel, which must belong to `groupId` when one is given. */
export function channelOf(channel: Channel | undefined, groupId?: string): Channel {
  if (channel === undefined || (groupId !== undefined && channel.group_id !== groupId.toLowerCase())) {
    throw notFound('CHANNEL_NOT_FOUND', 'Channel not found in this group');
  }
  return channel;
}

/** Loads what a group rule needs and refuses callers who are not members or lack the role. */
export class GroupAccess {
  constructor(private readonly store: GroupStore) {}

  async group(groupId: string): Promise<Group> {
    return foundGroup(await this.store.getGroup(groupId.toLowerCase()));
  }

  /** The group and the caller's membership; pending requests are not members. */
  async member(groupId: string, actor: string): Promise<{ group: Group; member: Member }> {
    const group = await this.group(groupId);
    return { group, member: activeMember(await this.store.getMember(group.id, actor)) };
  }

  async withRole(groupId: string, actor: string, roles: readonly GroupRole[]): Promise<{ group: Group; member: Member }> {
    const found = await this.member(groupId, actor);
    if (!roles.includes(found.member.role)) throw forbidden('INSUFFICIENT_ROLE', `Requires role ${roles.join(' or ')}`);
    return found;
  }

  /** A channel, which must belong to `groupId` when one is given. */
  async channel(channelId: string, groupId?: string): Promise<Channel> {
    return channelOf(await this.store.getChannel(channelId.toLowerCase()), groupId);
  }
}
