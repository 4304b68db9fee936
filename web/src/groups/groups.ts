import {
  type FileEnvelope,
  GroupClient,
  type GroupInfo,
  type GroupMessageItem,
  type PushEvent,
  type ReceivedFile,
  type WhisprClient,
  WhisprError,
} from 'whispr-sdk';
import { Retrier } from '../chat/retrier.js';
import { fragmentLink, takeFragment } from '../fragment-link.js';
import { ChannelHistory } from './channel-history.js';
import type { GroupVault } from './group-vault.js';

export interface Channel {
  id: string;
  name: string;
}

export interface Member {
  address: string;
  role: string;
}

export interface Group {
  info: GroupInfo;
  /** This identity's role: owner, admin or member. */
  role: string;
  members: Member[];
  channels: Channel[];
  keyVersion: number;
  /** Removed, banned or deleted since this page saw it: nothing more can be read or sent. */
  gone: boolean;
}

/** Group membership and key upkeep are checked this often (there is no push event for a join). */
const POLL_MS = 3_000;
const CODE = /[A-Za-z0-9_-]{6,64}/;
/** An invite code (base64url), bare or at the end of an invite link. */
const INVITE = new RegExp(`(?:#join=)?(${CODE.source})$`);
const MANAGERS = ['owner', 'admin'];

/** The server's answer when this identity is no longer in the group (removed, banned, or the group deleted). */
const isGone = (error: unknown): boolean => error instanceof WhisprError && (error.status === 403 || error.status === 404);

export const inviteLink = (code: string): string => fragmentLink('join', code);

/** The invite code an invite link brought, once. */
export const takeInviteCode = (): string | undefined => takeFragment('join', CODE);

/**
 * The groups of one unlocked identity, through the SDK's GroupClient. Keys: the owner makes the
 * group key of each key version and seals it to every member (again after a removal or a leave
 * moved the version on, so whoever left cannot read what follows); owners and admins seal the
 * current key to members who joined since; everyone keeps each version's key in the vault, to read
 * older history. Live: the push socket's group events, and a poll for what has no event.
 * Fires 'change' whenever what the screen shows changed.
 */
export class Groups extends EventTarget {
  readonly api: GroupClient;
  private readonly groups = new Map<string, Group>();
  private readonly histories = new Map<string, ChannelHistory>();
  private readonly syncs = new Map<string, Promise<void>>();
  private readonly poller = new Retrier(() => this.refresh());
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly onPush = (event: Event) => this.pushed((event as CustomEvent<PushEvent>).detail);

  constructor(
    private readonly client: WhisprClient,
    private readonly vault: GroupVault,
    /** Where the push socket's events arrive (the messenger, which owns the socket). */
    private readonly events: EventTarget,
  ) {
    super();
    this.api = new GroupClient(client);
  }

  get me(): string {
    return this.client.address;
  }

  start(): void {
    this.events.addEventListener('push-event', this.onPush);
    this.timer = setInterval(() => this.poller.kick(), POLL_MS);
    this.poller.kick();
  }

  stop(): void {
    this.events.removeEventListener('push-event', this.onPush);
    clearInterval(this.timer);
    this.poller.stop();
    for (const history of this.histories.values()) history.stop();
  }

  get list(): Group[] {
    return [...this.groups.values()].sort((a, b) => a.info.name.localeCompare(b.info.name));
  }

  group(groupId: string): Group | undefined {
    return this.groups.get(groupId);
  }

  canManage(group: Group): boolean {
    return MANAGERS.includes(group.role);
  }

  hasKey(group: Group): boolean {
    return this.vault.key(group.info.id, group.keyVersion) !== undefined;
  }

  invite(groupId: string): string | undefined {
    const code = this.vault.invite(groupId);
    return code === undefined ? undefined : inviteLink(code);
  }

  /** The message's text, or undefined when this browser holds no key for its version (written before joining). */
  read(groupId: string, message: GroupMessageItem): string | undefined {
    const key = this.vault.key(groupId, message.key_version);
    if (key === undefined) return undefined;
    try {
      return this.api.decrypt(message, key);
    } catch {
      return undefined;
    }
  }

  async create(name: string): Promise<string> {
    if (name.trim() === '') throw new Error('Give the group a name');
    const { id, invite_code } = await this.api.create(name.trim());
    await this.vault.keepInvite(id, invite_code);
    await this.refresh();
    return id;
  }

  /** Joins by an invite link or code; 'pending' when the group's owner must approve first. */
  async join(link: string): Promise<{ groupId: string; status: string }> {
    const code = INVITE.exec(link.trim())?.[1];
    if (code === undefined) throw new Error('Paste an invite link or code');
    const { group_id, status } = await this.api.join({ invite_code: code });
    await this.refresh();
    return { groupId: group_id, status };
  }

  async createChannel(groupId: string, name: string): Promise<string> {
    const { channel_id } = await this.api.createChannel(groupId, name.trim());
    await this.sync(groupId);
    return channel_id;
  }

  /** A new invite link; the old one stops working. */
  async newInvite(groupId: string): Promise<void> {
    await this.vault.keepInvite(groupId, (await this.api.rotateInvite(groupId)).invite_code);
    this.changed();
  }

  /** Removes (bans) a member; the key version moves on and the owner's sync seals a new key to the others. */
  async remove(groupId: string, member: string): Promise<void> {
    await this.api.ban(groupId, member);
    await this.sync(groupId);
  }

  async transferOwner(groupId: string, member: string): Promise<void> {
    await this.api.transferOwner(groupId, member);
    await this.sync(groupId);
  }

  async leave(groupId: string): Promise<void> {
    await this.api.leave(groupId);
    this.forget(groupId);
  }

  /** One channel's history, read from the server as it grows. */
  history(groupId: string, channelId: string): ChannelHistory {
    const id = `${groupId}/${channelId}`;
    let history = this.histories.get(id);
    if (history === undefined) {
      history = new ChannelHistory(
        this.api,
        groupId,
        channelId,
        () => this.changed(),
        (error) => this.refusedFor(groupId, error),
      );
      this.histories.set(id, history);
      history.catchUp();
    }
    return history;
  }

  send(groupId: string, channelId: string, text: string): Promise<void> {
    return this.post(groupId, channelId, (key, version) => this.api.send(groupId, channelId, key, version, text));
  }

  /** Encrypted under a key of its own, which the channel message carries (encrypted with the group key). */
  async sendFile(groupId: string, channelId: string, file: File): Promise<void> {
    const bytes = new Uint8Array(await file.arrayBuffer());
    return this.post(groupId, channelId, (key, version) => this.api.sendFile(groupId, channelId, key, version, bytes, file.name, file.type || undefined));
  }

  downloadFile(groupId: string, envelope: FileEnvelope): Promise<ReceivedFile> {
    return this.api.downloadFile(groupId, envelope);
  }

  /** Writes to a channel under the current key; a key version that moved on meanwhile asks for a retry once the new key is here. */
  private async post(groupId: string, channelId: string, write: (key: Uint8Array, version: number) => Promise<unknown>): Promise<void> {
    const group = this.groups.get(groupId);
    const key = group === undefined ? undefined : this.vault.key(groupId, group.keyVersion);
    if (group === undefined || key === undefined) throw new Error('Waiting for the group key: the owner shares it with each member');
    try {
      await write(key, group.keyVersion);
    } catch (error) {
      if (!(error instanceof WhisprError && error.errorCode === 'KEY_VERSION_MISMATCH')) throw error;
      void this.sync(groupId);
      throw new Error('The group key just changed: send again in a moment');
    }
    this.history(groupId, channelId).catchUp();
  }

  /** The groups the server lists for this identity, each synced; a group that left the list is kept, marked gone. */
  private async refresh(): Promise<boolean> {
    const { groups } = await this.api.list();
    const listed = new Set(groups.map((info) => info.id));
    for (const [id, group] of this.groups) if (!listed.has(id) && !group.gone) this.forget(id);
    for (const info of groups) {
      const known = this.groups.get(info.id);
      if (known === undefined) this.groups.set(info.id, { info, role: 'member', members: [], channels: [], keyVersion: info.key_version, gone: false });
      else Object.assign(known, { info, gone: false }); // in place: a sync under way updates the same object; a group left and joined again is back
    }
    await Promise.all(groups.map((info) => this.sync(info.id)));
    for (const history of this.histories.values()) history.catchUp();
    this.changed();
    return true;
  }

  /** One sync of a group at a time (a poll, a push event and a click may ask together): no key is sealed twice. */
  private sync(groupId: string): Promise<void> {
    const next = (this.syncs.get(groupId) ?? Promise.resolve()).catch(() => undefined).then(() => this.syncNow(groupId));
    this.syncs.set(groupId, next);
    return next;
  }

  /** Members, roles, channels and the current key: picks up this member's key, and (owner, admin) seals it to whoever lacks it. */
  private async syncNow(groupId: string): Promise<void> {
    const group = this.groups.get(groupId);
    if (group === undefined || group.gone) return;
    let keys: Awaited<ReturnType<GroupClient['memberKeys']>>;
    let channels: Channel[];
    try {
      [keys, { channels }] = await Promise.all([this.api.memberKeys(groupId), this.api.listChannels(groupId)]);
    } catch (error) {
      if (this.refusedFor(groupId, error)) return;
      throw error;
    }
    const mine = keys.members.find((member) => member.user_id === this.me);
    Object.assign(group, {
      role: mine?.role ?? 'member',
      members: keys.members.map((member) => ({ address: member.user_id, role: member.role })),
      channels: channels.map(({ id, name }) => ({ id, name })),
      keyVersion: keys.key_version,
    });
    const version = keys.key_version;
    if (mine?.encrypted_group_key != null && this.vault.key(groupId, version) === undefined) {
      const { key, keyVersion } = await this.api.myKey(groupId);
      await this.vault.keep(groupId, keyVersion, key);
    }
    // Only the owner makes a key for a new version, so two managers never hand out different ones.
    const key = group.role === 'owner' ? await this.vault.ownKey(groupId, version) : this.vault.key(groupId, version);
    const lacking = keys.members.filter((member) => member.encrypted_group_key === null).map((member) => member.user_id);
    if (this.canManage(group) && key !== undefined && lacking.length > 0) await this.api.distributeKey(groupId, key, version, lacking);
    this.changed();
  }

  /** True (and the group marked gone) when the server says this identity is no longer in it. */
  private refusedFor(groupId: string, error: unknown): boolean {
    if (!isGone(error)) return false;
    this.forget(groupId);
    return true;
  }

  private forget(groupId: string): void {
    const group = this.groups.get(groupId);
    if (group !== undefined) group.gone = true;
    for (const [id, history] of this.histories) {
      if (history.groupId !== groupId) continue;
      history.stop();
      this.histories.delete(id);
    }
    this.changed();
  }

  private pushed(event: PushEvent): void {
    if (event.type === 'group_message') this.histories.get(`${event.group_id}/${event.channel_id}`)?.catchUp();
    else if (event.type === 'group_key_version') void this.sync(event.group_id).catch(() => this.poller.kick());
  }

  private changed(): void {
    this.dispatchEvent(new Event('change'));
  }
}
