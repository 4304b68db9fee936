import type { MessageBus } from '../../bus/message-bus.js';
import { userChannel, type PushFrameEvent } from '../../push/user-channel.js';
import type { GroupStore } from './group-store.js';

/** Tells the members connected right now about a group change, on their push sockets. */
export class GroupEvents {
  constructor(
    private readonly store: GroupStore,
    private readonly bus: MessageBus,
  ) {}

  async toMembers(groupId: string, frame: PushFrameEvent['frame']): Promise<void> {
    await this.toListed(await this.store.listMemberIds(groupId), frame);
  }

  /** To members the caller has just read (listMemberIds), e.g. with the rest of a send. */
  async toListed(memberIds: readonly string[], frame: PushFrameEvent['frame']): Promise<void> {
    const event: PushFrameEvent = { kind: 'event', frame };
    await Promise.all(memberIds.map((id) => this.bus.publish(userChannel(id), event)));
  }

  keyVersion(groupId: string, keyVersion: number, reason: 'rekey' | 'leave' | 'ban' | 'remove'): Promise<void> {
    return this.toMembers(groupId, { type: 'group_key_version', group_id: groupId, key_version: keyVersion, reason });
  }
}
