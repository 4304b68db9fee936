import { ApiError } from '../../core/errors.js';
import { GroupAccess, MANAGERS } from './group-access.js';
import { newId } from './group-ids.js';
import { DuplicateChannelError, type Channel, type GroupStore } from './group-store.js';

const channelSummary = (c: Channel) => ({ id: c.id, group_id: c.group_id, name: c.name, type: c.type, created_at: c.created_at });

const duplicateName = (err: unknown): never => {
  if (err instanceof DuplicateChannelError) throw new ApiError(409, 'CHANNEL_EXISTS', `A channel named "${err.channelName}" already exists in this group`);
  throw err;
};

/** Channels of a group: managed by owners and admins, listed and described for members. */
export class ChannelService {
  private readonly access: GroupAccess;

  constructor(
    private readonly store: GroupStore,
    private readonly maxChannels: number,
    private readonly now: () => number,
  ) {
    this.access = new GroupAccess(store);
  }

  async create(actor: string, groupId: string, name: string, type: string) {
    const { group } = await this.access.withRole(groupId, actor, MANAGERS);
    if ((await this.store.countChannels(group.id)) >= this.maxChannels) {
      throw new ApiError(409, 'TOO_MANY_CHANNELS', `A group has at most ${this.maxChannels} channels`);
    }
    const channel: Channel = { id: newId(), group_id: group.id, name, type, topic: null, description: null, created_at: this.now() };
    await this.store.createChannel(channel).catch(duplicateName);
    return { status: 'created' as const, channel_id: channel.id };
  }

  async rename(actor: string, channelId: string, name: string) {
    const channel = await this.access.channel(channelId);
    await this.access.withRole(channel.group_id, actor, MANAGERS);
    await this.store.renameChannel(channel.id, name).catch(duplicateName);
    return { status: 'renamed' as const };
  }

  /** Deletes the channel with its messages. */
  async delete(actor: string, channelId: string) {
    const channel = await this.access.channel(channelId);
    await this.access.withRole(channel.group_id, actor, MANAGERS);
    await this.store.deleteChannel(channel.id);
    return { status: 'deleted' as const };
  }

  async list(actor: string, groupId: string, type: string | undefined) {
    const { group } = await this.access.member(groupId, actor);
    const channels = await this.store.listChannels(group.id);
    return { channels: channels.filter((c) => type === undefined || c.type === type).map(channelSummary) };
  }

  async meta(actor: string, channelId: string) {
    const channel = await this.access.channel(channelId);
    await this.access.member(channel.group_id, actor);
    return { topic: channel.topic, description: channel.description };
  }

  /** Any member may set the topic and description, as in the original server. */
  async setMeta(actor: string, channelId: string, meta: { topic?: string | null; description?: string | null }) {
    const channel = await this.access.channel(channelId);
    await this.access.member(channel.group_id, actor);
    await this.store.setChannelMeta(channel.id, meta);
    return { status: 'ok' as const };
  }
}
