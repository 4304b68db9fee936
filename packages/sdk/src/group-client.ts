import { openSealed, seal } from './crypto.js';
import { fromBase64, fromHex, text, toBase64 } from './encoding.js';
import { openEncryptedFile, type ReceivedFile, storeEncryptedFile } from './encrypted-file.js';
import { encodeFileEnvelope, type FileEnvelope } from './file-envelope.js';
import { decryptFromGroup, encryptForGroup } from './group-crypto.js';
import { request, requestJson, type RequestOptions } from './http.js';
import type { WhisprClient } from './whispr-client.js';

export interface GroupInfo {
  id: string;
  name: string;
  is_public: boolean;
  server_distribute: boolean;
  server_store_history: boolean;
  owner_id: string;
  key_version: number;
}

export interface GroupMessageItem {
  id: string;
  sender_id: string;
  ciphertext: string;
  nonce: string;
  _attachment_json: string | null;
  key_version: number;
  timestamp: number;
}

export interface MemberKeys {
  key_version: number;
  server_distribute: boolean;
  server_store_history: boolean;
  members: Array<{ user_id: string; role: string; encrypted_group_key: string | null; key_version: number | null }>;
}

type Params = Record<string, string | number | boolean | undefined>;

/**
 * The /groups API, sending each parameter where the original client does (query or JSON body).
 * With a token-mode WhisprClient every call carries a bearer token for the caller's X25519 key.
 */
export class GroupClient {
  constructor(private readonly client: WhisprClient) {}

  private get me(): string {
    return this.client.address;
  }

  private async call<T>(method: string, path: string, query: Params, body?: unknown, rawBody?: Uint8Array): Promise<T> {
    const options: RequestOptions = {
      query: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, v === undefined ? undefined : String(v)])),
      token: await this.client.token(),
    };
    if (body !== undefined) options.body = body;
    if (rawBody !== undefined) options.rawBody = rawBody;
    return requestJson<T>(this.client.baseUrl, method, `/groups${path}`, options);
  }

  create(name: string, isPublic = false) {
    return this.call<{ id: string; invite_code: string }>('POST', '/create', {}, { name, is_public: isPublic, owner_id: this.me });
  }
  join(by: { invite_code: string } | { group_id: string }) {
    return this.call<{ status: 'joined' | 'pending' | 'already_member'; group_id: string; key_version?: number }>(
      'POST',
      '/join',
      {},
      { user_id: this.me, ...by },
    );
  }
  approve(groupId: string, userId: string) {
    return this.call<{ status: string }>('POST', '/approve', {}, { group_id: groupId, approve_user_id: userId, user_id: this.me });
  }
  /** Owner/admin: removes the members who joined at or after `since` (unix seconds), newest first, at most `max`. */
  removeRecentMembers(groupId: string, since: number, options: { max?: number; ban?: boolean } = {}) {
    return this.call<{ status: 'removed'; removed: number; new_key_version: number }>(
      'POST',
      '/members/remove_recent',
      {},
      { group_id: groupId, since, ...options },
    );
  }
  /** Owner/admin: rejects the join requests made at or after `since` (unix seconds), newest first, at most `max`. */
  rejectRecentRequests(groupId: string, since: number, options: { max?: number } = {}) {
    return this.call<{ status: 'rejected'; rejected: number }>('POST', '/requests/reject_recent', {}, { group_id: groupId, since, ...options });
  }
  leave(groupId: string) {
    return this.call<{ status: string; new_key_version?: number }>('POST', '/leave', {}, { group_id: groupId, user_id: this.me });
  }
  list() {
    return this.call<{ groups: GroupInfo[] }>('GET', '/list', { user_id: this.me });
  }
  info(groupId: string) {
    return this.call<GroupInfo>('GET', '/info', { group_id: groupId, user_id: this.me });
  }
  discover(query?: string, limit?: number) {
    return this.call<{ groups: Array<GroupInfo & { invite_code: string; created_at: number }> }>('GET', '/discover', { query, limit });
  }
  rename(groupId: string, newName: string) {
    return this.call<{ status: string; name: string }>('POST', '/rename', {}, { group_id: groupId, new_name: newName, user_id: this.me });
  }
  rotateInvite(groupId: string) {
    return this.call<{ invite_code: string }>('POST', '/invites/rotate', { group_id: groupId, user_id: this.me });
  }
  ban(groupId: string, target: string) {
    return this.call<{ status: string; new_key_version?: number }>('POST', '/members/ban', { group_id: groupId, target_user_id: target, user_id: this.me });
  }
  rekey(groupId: string) {
    return this.call<{ key_version: number }>('POST', '/rekey', { group_id: groupId, user_id: this.me });
  }
  /** The original client sends new_owner_user_id in the JSON body. */
  transferOwner(groupId: string, newOwner: string) {
    return this.call<{ status: string; new_owner: string }>(
      'POST',
      '/members/transfer_owner',
      { group_id: groupId, user_id: this.me },
      { new_owner_user_id: newOwner },
    );
  }
  setPublic(groupId: string, isPublic: boolean) {
    return this.call<{ is_public: boolean }>('POST', '/public/set', { group_id: groupId, is_public: isPublic, user_id: this.me });
  }
  setServerFlag(groupId: string, flag: 'server_distribute' | 'server_store_history', enabled: boolean) {
    return this.call<Record<string, boolean>>('POST', `/${flag}/set`, {}, { group_id: groupId, enabled, user_id: this.me });
  }
  delete(groupId: string) {
    return this.call<{ status: string }>('DELETE', '/delete', { group_id: groupId, user_id: this.me });
  }

  createChannel(groupId: string, name: string, type = 'text') {
    return this.call<{ status: string; channel_id: string }>('POST', '/channels/create', { user_id: this.me }, { group_id: groupId, name, type });
  }
  renameChannel(channelId: string, name: string) {
    return this.call<{ status: string }>('POST', '/channels/rename', { user_id: this.me }, { channel_id: channelId, name });
  }
  deleteChannel(channelId: string) {
    return this.call<{ status: string }>('POST', '/channels/delete', { channel_id: channelId, user_id: this.me });
  }
  listChannels(groupId: string, type?: string) {
    return this.call<{ channels: Array<{ id: string; group_id: string; name: string; type: string; created_at: number }> }>('GET', '/channels/list', {
      group_id: groupId,
      user_id: this.me,
      type,
    });
  }
  channelMeta(channelId: string) {
    return this.call<{ topic: string | null; description: string | null }>('GET', '/channels/meta', { channel_id: channelId, user_id: this.me });
  }
  /** The original client sends topic and description in the JSON body. */
  setChannelMeta(channelId: string, meta: { topic?: string | null; description?: string | null }) {
    return this.call<{ status: string }>('POST', '/channels/meta/set', { channel_id: channelId, user_id: this.me }, meta);
  }
  role(groupId: string) {
    return this.call<{ role: string }>('GET', '/channels/role', { group_id: groupId, user_id: this.me });
  }

  memberKeys(groupId: string) {
    return this.call<MemberKeys>('GET', '/members/keys', { group_id: groupId, user_id: this.me });
  }
  updateMemberKey(groupId: string, userId: string, sealedKey: string, keyVersion: number) {
    return this.call<{ status: string }>('POST', '/members/keys/update', {
      group_id: groupId,
      user_id: userId,
      encrypted_key_b64: sealedKey,
      key_version: keyVersion,
      by_user_id: this.me,
    });
  }
  /**
   * Seals `key` to each member and stores it under `keyVersion` (what an owner/admin does after a
   * rekey): by default every current member; `to` names some (those who joined since, say).
   */
  async distributeKey(groupId: string, key: Uint8Array, keyVersion: number, to?: readonly string[]): Promise<void> {
    const members = to ?? (await this.memberKeys(groupId)).members.map((member) => member.user_id);
    for (const member of members) await this.updateMemberKey(groupId, member, toBase64(seal(fromHex(member), key)), keyVersion);
  }
  /** Opens the caller's sealed group key at the group's current version. */
  async myKey(groupId: string): Promise<{ key: Uint8Array; keyVersion: number }> {
    const { members, key_version } = await this.memberKeys(groupId);
    const mine = members.find((m) => m.user_id === this.me);
    if (mine?.encrypted_group_key == null) throw new Error('no group key has been distributed to this member yet');
    return { key: openSealed(this.client.identity.encryption, fromBase64(mine.encrypted_group_key)), keyVersion: key_version };
  }

  async send(groupId: string, channelId: string, key: Uint8Array, keyVersion: number, plaintext: string, attachmentMeta?: string) {
    const { ciphertext, nonce } = encryptForGroup(key, plaintext);
    const body = {
      group_id: groupId,
      channel_id: channelId,
      sender_id: this.me,
      ciphertext,
      nonce,
      key_version: keyVersion,
      ...(attachmentMeta === undefined ? {} : { attachment_meta: attachmentMeta }),
    };
    return this.call<{ status: string; id: string; timestamp: number }>('POST', '/messages/send', {}, body);
  }
  fetch(groupId: string, channelId: string, options: { since?: number; limit?: number } = {}) {
    return this.call<{ messages: GroupMessageItem[]; has_more: boolean; next_since: number }>(
      'POST',
      '/messages/fetch',
      { user_id: this.me },
      { group_id: groupId, channel_id: channelId, ...options },
    );
  }
  decrypt(message: GroupMessageItem, key: Uint8Array): string {
    return text(decryptFromGroup(key, message.ciphertext, message.nonce));
  }

  /**
   * A file end-to-end encrypted for the group: the bytes go up encrypted under a key made for the
   * file alone, and a channel message (encrypted with the group key like any other) carries that
   * key, the name, size and hash as a file envelope (read it with `fileEnvelopeOf`).
   */
  async sendFile(groupId: string, channelId: string, key: Uint8Array, keyVersion: number, bytes: Uint8Array, name: string, mime?: string) {
    const envelope = await storeEncryptedFile(bytes, name, mime, async (ciphertext) => (await this.upload(groupId, ciphertext)).id);
    return { ...(await this.send(groupId, channelId, key, keyVersion, text(encodeFileEnvelope(envelope)))), envelope };
  }
  /** Fetches and decrypts the file a group message's envelope points at; throws if it does not match. */
  async downloadFile(groupId: string, envelope: FileEnvelope): Promise<ReceivedFile> {
    return openEncryptedFile(envelope, await this.download(groupId, envelope.attachment_id));
  }

  /** Raw bytes with no Content-Type, as the original client uploads. */
  upload(groupId: string, bytes: Uint8Array) {
    return this.call<{ id: string; size: number }>('POST', '/attachments/upload', { group_id: groupId, user_id: this.me }, undefined, bytes);
  }
  async download(groupId: string, attId: string): Promise<Uint8Array> {
    const response = await request(this.client.baseUrl, 'GET', `/groups/attachments/${attId}`, {
      query: { group_id: groupId, user_id: this.me },
      token: await this.client.token(),
    });
    return new Uint8Array(await response.arrayBuffer());
  }
}
