export type GroupRole = 'owner' | 'admin' | 'member';

export interface Group {
  id: string;
  name: string;
  owner_id: string;
  is_public: boolean;
  invite_code: string;
  key_version: number;
  server_distribute: boolean;
  server_store_history: boolean;
  created_at: number;
}

export interface Member {
  group_id: string;
  user_id: string;
  role: GroupRole;
  pending: boolean;
  joined_at: number;
}

/** A member with the sealed group key stored for them at the group's current version (null if none). */
export interface MemberKey {
  user_id: string;
  role: GroupRole;
  encrypted_group_key: string | null;
  key_version: number | null;
}

export interface Channel {
  id: string;
  group_id: string;
  name: string;
  type: string;
  topic: string | null;
  description: string | null;
  created_at: number;
}

export interface GroupMessage {
  id: string;
  group_id: string;
  channel_id: string;
  sender_id: string;
  ciphertext: string;
  nonce: string;
  key_version: number;
  timestamp: number;
  attachment_meta: string | null;
}

export interface GroupAttachment {
  group_id: string;
  att_id: string;
  uploader: string;
  size: number;
  created_at: number;
}

/** Stored bytes as the usage counters charge them (src/core/storage-charge.ts). */
export interface StorageUsage {
  message_bytes: number;
  file_bytes: number;
}

export type GroupUpdate = Partial<Pick<Group, 'name' | 'is_public' | 'invite_code' | 'server_distribute' | 'server_store_history'>>;

/**
 * Durable state of the group backend. Every method is one atomic step; the rules (who may do what,
 * limits) live in the service. Deleting a group or a channel removes its messages and attachments.
 */
export interface GroupStore {
  /** Creates the group, its owner membership and its first channel together. */
  createGroup(group: Group, firstChannel: Channel): Promise<void>;
  getGroup(groupId: string): Promise<Group | undefined>;
  getGroupByInvite(inviteCode: string): Promise<Group | undefined>;
  updateGroup(groupId: string, update: GroupUpdate): Promise<void>;
  /** Increments key_version and returns the new value. */
  bumpKeyVersion(groupId: string): Promise<number>;
  /** Makes `newOwner` the owner and the previous owner an admin. */
  transferOwnership(groupId: string, previousOwner: string, newOwner: string): Promise<void>;
  /** Deletes the group with its members, keys, bans, channels, messages and attachment records; returns the attachment ids it held. */
  deleteGroup(groupId: string): Promise<string[]>;
  /** Groups where the user is a (non-pending) member. */
  listGroupsOf(userId: string): Promise<Group[]>;
  /** Public groups whose name contains `query` (case-insensitive), newest first. */
  listPublicGroups(query: string | undefined, limit: number): Promise<Group[]>;
  /** How many groups exist (the admin overview). */
  countGroups(): Promise<number>;

  getMember(groupId: string, userId: string): Promise<Member | undefined>;
  /** Inserts or replaces a membership row. */
  putMember(member: Member): Promise<void>;
  /** Removes the membership (or request) and the member's sealed keys. */
  removeMember(groupId: string, userId: string): Promise<boolean>;
  /**
   * Removes the plain members (pending false) or the join requests (pending true) stamped at or
   * after `since`, newest first, at most `max`, with their sealed keys; returns their ids.
   */
  removeRecent(groupId: string, since: number, pending: boolean, max: number): Promise<string[]>;
  /** Deletes join requests made before `before`, at most `max`; returns how many went. */
  purgeRequestsBefore(before: number, max: number): Promise<number>;
  setRole(groupId: string, userId: string, role: GroupRole): Promise<void>;
  /** Non-pending members, and pending requests, of a group. */
  countMembers(groupId: string): Promise<{ members: number; pending: number }>;
  /** Non-pending members with their sealed key at `keyVersion`. */
  listMemberKeys(groupId: string, keyVersion: number): Promise<MemberKey[]>;
  /** Non-pending member ids (push fan-out). */
  listMemberIds(groupId: string): Promise<string[]>;
  /**
   * Stores a sealed key and drops that member's keys below the group's current version: only the
   * current version is ever read, so rekeying again and again does not pile up keys.
   */
  putMemberKey(groupId: string, userId: string, keyVersion: number, encryptedKey: string, at: number): Promise<void>;

  addBan(groupId: string, userId: string, at: number): Promise<void>;
  isBanned(groupId: string, userId: string): Promise<boolean>;

  /** Throws DuplicateChannelError when the group already has a channel of that name. */
  createChannel(channel: Channel): Promise<void>;
  getChannel(channelId: string): Promise<Channel | undefined>;
  listChannels(groupId: string): Promise<Channel[]>;
  countChannels(groupId: string): Promise<number>;
  /** Throws DuplicateChannelError when the new name is taken in the group. */
  renameChannel(channelId: string, name: string): Promise<void>;
  setChannelMeta(channelId: string, meta: { topic?: string | null; description?: string | null }): Promise<void>;
  /** Deletes the channel and its messages. */
  deleteChannel(channelId: string): Promise<void>;

  addMessage(message: GroupMessage): Promise<void>;
  /** Messages with timestamp > since (and >= notBefore), ascending, at most `limit` + 1 so the caller can tell whether more follow. */
  fetchMessages(groupId: string, channelId: string, since: number, notBefore: number, limit: number): Promise<GroupMessage[]>;

  /** Deletes messages stamped before `before`, at most `max`; returns how many went. */
  purgeMessagesBefore(before: number, max: number): Promise<number>;

  /** What the group, and the key over all its groups, hold (zero when nothing was stored). */
  usage(groupId: string, userId: string): Promise<{ group: StorageUsage; key: StorageUsage }>;
  /** Everything a send to a channel reads, read together: one round trip on PostgreSQL instead of six. */
  sendContext(groupId: string, channelId: string, userId: string): Promise<SendContext>;

  putAttachment(attachment: GroupAttachment): Promise<void>;
  getAttachment(groupId: string, attId: string): Promise<GroupAttachment | undefined>;
  /** Deletes attachment records made before `before`, at most `max`; returns the ids they held. */
  purgeAttachmentsBefore(before: number, max: number): Promise<string[]>;
  /** True if any group still holds this attachment id. */
  isAttachmentHeld(attId: string): Promise<boolean>;
}

/** What a message send needs to know before it writes: getGroup, getMember, getChannel, usage and listMemberIds. */
export interface SendContext {
  group: Group | undefined;
  /** The sender's membership (pending or not). */
  member: Member | undefined;
  channel: Channel | undefined;
  usage: { group: StorageUsage; key: StorageUsage };
  /** The members (not pending), in joining order: whom the message is pushed to. */
  memberIds: string[];
}

/** sendContext from the single reads, for a driver where each costs no round trip (SQLite). */
export async function readSendContext(store: GroupStore, groupId: string, channelId: string, userId: string): Promise<SendContext> {
  const [group, member, channel, usage, memberIds] = await Promise.all([
    store.getGroup(groupId),
    store.getMember(groupId, userId),
    store.getChannel(channelId),
    store.usage(groupId, userId),
    store.listMemberIds(groupId),
  ]);
  return { group, member, channel, usage, memberIds };
}

export class DuplicateChannelError extends Error {
  constructor(readonly channelName: string) {
    super(`channel name "${channelName}" is taken in this group`);
  }
}
