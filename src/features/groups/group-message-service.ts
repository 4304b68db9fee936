import { base64DecodedLength, decodeBase64 } from '../../core/encoding.js';
import { ApiError, badRequest, forbidden, tooLarge } from '../../core/errors.js';
import type { AnalyticsRecorder } from '../analytics/index.js';
import { activeMember, channelOf, foundGroup, GroupAccess } from './group-access.js';
import type { GroupEvents } from './group-events.js';
import { newId } from './group-ids.js';
import { type GroupQuotas, messageCost } from './group-quotas.js';
import type { GroupMessage, GroupStore } from './group-store.js';

/** A /messages/send body: the stored message as the client names it, before the server adds id and timestamp. */
export type GroupSend = Pick<GroupMessage, 'group_id' | 'channel_id' | 'sender_id' | 'ciphertext' | 'nonce' | 'key_version'> & {
  attachment_meta?: string | null;
};

export interface GroupMessageLimits {
  maxCiphertextBytes: number;
  maxFetch: number;
  defaultFetch: number;
}

/** The original fetch item; `_attachment_json` is the stored attachment_meta. */
export const messageView = (m: GroupMessage) => ({
  id: m.id,
  sender_id: m.sender_id,
  ciphertext: m.ciphertext,
  nonce: m.nonce,
  _attachment_json: m.attachment_meta,
  key_version: m.key_version,
  timestamp: m.timestamp,
});

const NONCE_LENGTHS = new Set([12, 24]);
const MAX_ATTACHMENT_META = 4096;

/** Ciphertext-only channel history: who may post, key-version enforcement, ordered pages, live push. */
export class GroupMessageService {
  private readonly access: GroupAccess;

  constructor(
    private readonly store: GroupStore,
    private readonly events: GroupEvents,
    private readonly limits: GroupMessageLimits,
    private readonly now: () => number,
    private readonly analytics: AnalyticsRecorder,
    private readonly quotas: GroupQuotas,
  ) {
    this.access = new GroupAccess(store);
  }

  async send(actor: string, input: GroupSend) {
    if (input.sender_id.toLowerCase() !== actor) throw forbidden('SENDER_MISMATCH', 'sender_id must be the caller');
    // Everything the send reads, at once (one round trip on PostgreSQL). The members are read before
    // the message is stored: one who joins in between fetches it rather than having it pushed.
    const context = await this.store.sendContext(input.group_id.toLowerCase(), input.channel_id.toLowerCase(), actor);
    const group = foundGroup(context.group);
    activeMember(context.member);
    const channel = channelOf(context.channel, group.id);
    if (base64DecodedLength(input.ciphertext) > this.limits.maxCiphertextBytes) {
      throw tooLarge('MESSAGE_TOO_LARGE', `ciphertext is larger than ${this.limits.maxCiphertextBytes} bytes`);
    }
    const ciphertext = decodeBase64(input.ciphertext, 'ciphertext');
    if (!NONCE_LENGTHS.has(decodeBase64(input.nonce, 'nonce').length)) throw badRequest('INVALID_NONCE', 'nonce must be 12 or 24 bytes');
    if ((input.attachment_meta?.length ?? 0) > MAX_ATTACHMENT_META)
      throw badRequest('VALIDATION_FAILED', `attachment_meta is longer than ${MAX_ATTACHMENT_META}`);
    if (input.key_version !== group.key_version) {
      throw new ApiError(409, 'KEY_VERSION_MISMATCH', `Key version mismatch: the group is at ${group.key_version}`);
    }
    const message: GroupMessage = {
      id: newId(),
      group_id: group.id,
      channel_id: channel.id,
      sender_id: actor,
      ciphertext: input.ciphertext,
      nonce: input.nonce,
      key_version: input.key_version,
      timestamp: this.now(),
      attachment_meta: input.attachment_meta ?? null,
    };
    this.quotas.admitMessageBeside(context.usage, messageCost(message.ciphertext, message.attachment_meta));
    await this.store.addMessage(message);
    this.analytics.groupMessage(actor, ciphertext.length);
    await this.events.toListed(context.memberIds, { type: 'group_message', group_id: group.id, channel_id: channel.id, message: messageView(message) });
    return { status: 'ok' as const, id: message.id, timestamp: message.timestamp };
  }

  /**
   * Oldest first after `since`; `has_more` and `next_since` give the next page, so no newer message
   * is ever hidden. Without server-stored history a member sees nothing from before joining.
   */
  async fetch(actor: string, groupId: string, channelId: string, since: number | undefined, limit: number | undefined) {
    const pageSize = limit ?? this.limits.defaultFetch;
    if (pageSize > this.limits.maxFetch) throw badRequest('LIMIT_TOO_LARGE', `limit is at most ${this.limits.maxFetch}`);
    const { group, member } = await this.access.member(groupId, actor);
    const channel = await this.access.channel(channelId, group.id);
    const notBefore = group.server_store_history ? 0 : member.joined_at;
    const rows = await this.store.fetchMessages(group.id, channel.id, since ?? 0, notBefore, pageSize);
    const page = rows.slice(0, pageSize);
    const last = page.at(-1);
    return { messages: page.map(messageView), has_more: rows.length > pageSize, next_since: last?.timestamp ?? since ?? 0 };
  }
}
