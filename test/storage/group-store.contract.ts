/** What every GroupStore driver must do (ported from the SQLite store's own tests). */
import { beforeEach, describe, expect, test } from 'vitest';
import { DuplicateChannelError, type Channel, type Group, type GroupMessage, type GroupStore } from '../../src/features/groups/group-store.js';
import type { SqlBackend } from './backends.js';

/** Deleting groups cascades to every other group table but the per-key usage counters. */
export const GROUP_TABLES = ['groups', 'group_key_usage'];

export const group = (id: string, overrides: Partial<Group> = {}): Group => ({
  id,
  name: `group ${id}`,
  owner_id: 'owner',
  is_public: false,
  invite_code: `invite-${id}`,
  key_version: 1,
  server_distribute: true,
  server_store_history: false,
  created_at: 1000,
  ...overrides,
});

export const channel = (id: string, groupId: string, name = id, created_at = 1000): Channel => ({
  id,
  group_id: groupId,
  name,
  type: 'text',
  topic: null,
  description: null,
  created_at,
});

const message = (id: string, groupId: string, channelId: string, timestamp: number): GroupMessage => ({
  id,
  group_id: groupId,
  channel_id: channelId,
  sender_id: 'owner',
  ciphertext: `ct-${id}`,
  nonce: `n-${id}`,
  key_version: 1,
  timestamp,
  attachment_meta: null,
});

export function groupStoreContract(backend: () => SqlBackend<GroupStore>): void {
  let store: GroupStore;
  beforeEach(async () => {
    store = await backend().node();
  });

  /** Creates a group owned by `owner` with a first channel `<id>-general`. */
  const seed = (id: string, overrides: Partial<Group> = {}) => store.createGroup(group(id, overrides), channel(`${id}-general`, id, 'general'));
  const member = (groupId: string, userId: string, joined_at: number, pending = false) =>
    store.putMember({ group_id: groupId, user_id: userId, role: 'member', pending, joined_at });
  const rows = (table: string, groupId?: string) => backend().rows(table, groupId);

  describe('groups', () => {
    test('createGroup stores the group, its owner membership and its first channel; lookups by id and exact invite', async () => {
      await seed('g1', { is_public: true, created_at: 1234.5 });
      expect(await store.getGroup('g1')).toEqual(group('g1', { is_public: true, created_at: 1234.5 }));
      expect(await store.getMember('g1', 'owner')).toEqual({ group_id: 'g1', user_id: 'owner', role: 'owner', pending: false, joined_at: 1234.5 });
      expect(await store.listChannels('g1')).toEqual([channel('g1-general', 'g1', 'general')]);
      expect((await store.getGroupByInvite('invite-g1'))?.id).toBe('g1');
      expect(await store.getGroupByInvite('INVITE-G1')).toBeUndefined();
      expect(await store.getGroupByInvite('invite-g')).toBeUndefined();
      expect(await store.getGroup('nope')).toBeUndefined();
    });

    test('a failed createGroup leaves nothing behind', async () => {
      await seed('g1');
      await expect(seed('g2', { invite_code: 'invite-g1' })).rejects.toThrow(/unique/i);
      expect(await store.getGroup('g2')).toBeUndefined();
      expect(await store.getMember('g2', 'owner')).toBeUndefined();
      expect(await rows('channels')).toBe(1);
    });

    test('updateGroup changes only the given fields', async () => {
      await seed('g1');
      await store.updateGroup('g1', { name: 'renamed', is_public: true });
      await store.updateGroup('g1', { server_distribute: false, server_store_history: true, invite_code: 'new-code' });
      await store.updateGroup('g1', {});
      expect(await store.getGroup('g1')).toEqual(
        group('g1', { name: 'renamed', is_public: true, server_distribute: false, server_store_history: true, invite_code: 'new-code' }),
      );
      expect(await store.getGroupByInvite('invite-g1')).toBeUndefined();
    });

    test('bumpKeyVersion increments and returns the new version', async () => {
      await seed('g1');
      expect(await store.bumpKeyVersion('g1')).toBe(2);
      expect(await store.bumpKeyVersion('g1')).toBe(3);
      expect((await store.getGroup('g1'))?.key_version).toBe(3);
      await expect(store.bumpKeyVersion('nope')).rejects.toThrow();
    });

    test('transferOwnership makes the new owner owner and the previous one admin', async () => {
      await seed('g1');
      await member('g1', 'bob', 1001);
      await store.transferOwnership('g1', 'owner', 'bob');
      expect((await store.getGroup('g1'))?.owner_id).toBe('bob');
      expect((await store.getMember('g1', 'bob'))?.role).toBe('owner');
      expect((await store.getMember('g1', 'owner'))?.role).toBe('admin');
      // To a non-member: rolled back entirely.
      await expect(store.transferOwnership('g1', 'bob', 'carol')).rejects.toThrow();
      expect((await store.getGroup('g1'))?.owner_id).toBe('bob');
      expect((await store.getMember('g1', 'bob'))?.role).toBe('owner');
    });

    test('listGroupsOf returns non-pending memberships ordered by group creation', async () => {
      await seed('g1', { created_at: 30 });
      await seed('g2', { created_at: 10 });
      await seed('g3', { created_at: 20 });
      await member('g1', 'bob', 31);
      await member('g2', 'bob', 11);
      await member('g3', 'bob', 21, true);
      expect((await store.listGroupsOf('bob')).map((g) => g.id)).toEqual(['g2', 'g1']);
      expect((await store.listGroupsOf('owner')).map((g) => g.id)).toEqual(['g2', 'g3', 'g1']);
      expect(await store.listGroupsOf('nobody')).toEqual([]);
    });

    test('listPublicGroups: public only, newest first, limited, case-insensitive substring with literal % and _', async () => {
      await seed('g1', { name: '100% Rust', is_public: true, created_at: 1 });
      await seed('g2', { name: '1000 rustaceans', is_public: true, created_at: 2 });
      await seed('g3', { name: 'snake_case fans', is_public: true, created_at: 3 });
      await seed('g4', { name: 'snakeXcase', is_public: true, created_at: 4 });
      await seed('g5', { name: 'secret 100% rust', is_public: false, created_at: 5 });
      await seed('g6', { name: 'back\\slash', is_public: true, created_at: 6 });
      expect((await store.listPublicGroups(undefined, 10)).map((g) => g.id)).toEqual(['g6', 'g4', 'g3', 'g2', 'g1']);
      expect((await store.listPublicGroups(undefined, 2)).map((g) => g.id)).toEqual(['g6', 'g4']);
      expect((await store.listPublicGroups('', 10)).map((g) => g.id)).toHaveLength(5);
      expect((await store.listPublicGroups('RUST', 10)).map((g) => g.id)).toEqual(['g2', 'g1']);
      expect((await store.listPublicGroups('0%', 10)).map((g) => g.id)).toEqual(['g1']);
      expect((await store.listPublicGroups('e_c', 10)).map((g) => g.id)).toEqual(['g3']);
      expect((await store.listPublicGroups('%', 10)).map((g) => g.id)).toEqual(['g1']);
      expect((await store.listPublicGroups('k\\s', 10)).map((g) => g.id)).toEqual(['g6']);
      expect(await store.listPublicGroups('zzz', 10)).toEqual([]);
    });
  });

  describe('two nodes at once', () => {
    test('key versions are handed out once each, and a channel name is taken by exactly one node', async () => {
      const other = await backend().node();
      await seed('g1');
      const stores = [store, other];
      const versions = await Promise.all(Array.from({ length: 20 }, (_, i) => (stores[i % 2] as GroupStore).bumpKeyVersion('g1')));
      expect(versions.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
      const creations = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) => (stores[i % 2] as GroupStore).createChannel(channel(`c${i}`, 'g1', 'race'))),
      );
      expect(creations.filter((c) => c.status === 'fulfilled')).toHaveLength(1);
      for (const c of creations) if (c.status === 'rejected') expect(c.reason).toBeInstanceOf(DuplicateChannelError);
    });
  });

  describe('members', () => {
    test('putMember upserts, removeMember reports, setRole, countMembers splits pending', async () => {
      await seed('g1');
      await member('g1', 'bob', 1001, true);
      await member('g1', 'carol', 1002, true);
      expect(await store.countMembers('g1')).toEqual({ members: 1, pending: 2 });
      await member('g1', 'bob', 1003); // accepted
      expect(await store.getMember('g1', 'bob')).toEqual({ group_id: 'g1', user_id: 'bob', role: 'member', pending: false, joined_at: 1003 });
      await store.setRole('g1', 'bob', 'admin');
      expect((await store.getMember('g1', 'bob'))?.role).toBe('admin');
      expect(await store.countMembers('g1')).toEqual({ members: 2, pending: 1 });
      expect(await store.listMemberIds('g1')).toEqual(['owner', 'bob']);
      expect(await store.removeMember('g1', 'carol')).toBe(true);
      expect(await store.removeMember('g1', 'carol')).toBe(false);
      expect(await store.countMembers('g1')).toEqual({ members: 2, pending: 0 });
      expect(await store.countMembers('nope')).toEqual({ members: 0, pending: 0 });
    });

    test('listMemberKeys: non-pending members by join order with their key at that version, or nulls', async () => {
      await seed('g1');
      await member('g1', 'bob', 1002);
      await member('g1', 'carol', 1001);
      await member('g1', 'dave', 999, true);
      await store.putMemberKey('g1', 'owner', 1, 'k-owner-1', 1000);
      await store.putMemberKey('g1', 'bob', 1, 'k-bob-1', 1000);
      await store.putMemberKey('g1', 'bob', 2, 'k-bob-2', 1000);
      await store.putMemberKey('g1', 'dave', 1, 'k-dave-1', 1000);
      await store.putMemberKey('g1', 'bob', 1, 'k-bob-1b', 1001); // upsert
      expect(await store.listMemberKeys('g1', 1)).toEqual([
        { user_id: 'owner', role: 'owner', encrypted_group_key: 'k-owner-1', key_version: 1 },
        { user_id: 'carol', role: 'member', encrypted_group_key: null, key_version: null },
        { user_id: 'bob', role: 'member', encrypted_group_key: 'k-bob-1b', key_version: 1 },
      ]);
      expect(await store.listMemberKeys('g1', 2)).toEqual([
        { user_id: 'owner', role: 'owner', encrypted_group_key: null, key_version: null },
        { user_id: 'carol', role: 'member', encrypted_group_key: null, key_version: null },
        { user_id: 'bob', role: 'member', encrypted_group_key: 'k-bob-2', key_version: 2 },
      ]);
    });

    test('bans are per group and idempotent', async () => {
      await seed('g1');
      await seed('g2');
      await store.addBan('g1', 'eve', 1000);
      await store.addBan('g1', 'eve', 1001);
      expect(await store.isBanned('g1', 'eve')).toBe(true);
      expect(await store.isBanned('g2', 'eve')).toBe(false);
      expect(await store.isBanned('g1', 'bob')).toBe(false);
    });
  });

  describe('channels and messages', () => {
    test('create, get, list, count; a duplicate name in the same group is DuplicateChannelError', async () => {
      await seed('g1');
      await seed('g2');
      await store.createChannel(channel('c2', 'g1', 'random', 1001));
      await store.createChannel(channel('c3', 'g2', 'random', 1001)); // same name, other group: fine
      const duplicate = store.createChannel(channel('c4', 'g1', 'random', 1002));
      await expect(duplicate).rejects.toBeInstanceOf(DuplicateChannelError);
      await expect(duplicate).rejects.toMatchObject({ channelName: 'random' });
      // A reused id is not a name clash.
      await expect(store.createChannel(channel('c2', 'g1', 'other'))).rejects.not.toBeInstanceOf(DuplicateChannelError);
      expect(await store.getChannel('c2')).toEqual(channel('c2', 'g1', 'random', 1001));
      expect(await store.getChannel('c4')).toBeUndefined();
      expect((await store.listChannels('g1')).map((c) => c.id)).toEqual(['g1-general', 'c2']);
      expect(await store.countChannels('g1')).toBe(2);
      expect(await store.countChannels('nope')).toBe(0);
    });

    test('renameChannel, and a rename onto a taken name is DuplicateChannelError', async () => {
      await seed('g1');
      await store.createChannel(channel('c2', 'g1', 'random'));
      await store.renameChannel('c2', 'memes');
      await store.renameChannel('c2', 'memes'); // its own name
      expect((await store.getChannel('c2'))?.name).toBe('memes');
      const clash = store.renameChannel('c2', 'general');
      await expect(clash).rejects.toBeInstanceOf(DuplicateChannelError);
      await expect(clash).rejects.toMatchObject({ channelName: 'general' });
      expect((await store.getChannel('c2'))?.name).toBe('memes');
    });

    test('setChannelMeta: undefined keeps, null clears', async () => {
      await seed('g1');
      const id = 'g1-general';
      await store.setChannelMeta(id, { topic: 'hello', description: 'desc' });
      await store.setChannelMeta(id, { topic: 'changed' });
      expect(await store.getChannel(id)).toMatchObject({ topic: 'changed', description: 'desc' });
      await store.setChannelMeta(id, { description: null });
      expect(await store.getChannel(id)).toMatchObject({ topic: 'changed', description: null });
      await store.setChannelMeta(id, {});
      expect(await store.getChannel(id)).toMatchObject({ topic: 'changed', description: null });
      await store.setChannelMeta(id, { topic: null, description: 'again' });
      expect(await store.getChannel(id)).toMatchObject({ topic: null, description: 'again' });
    });

    test('fetchMessages: channel-scoped, ascending by (timestamp, id), since exclusive, notBefore inclusive, limit + 1', async () => {
      await seed('g1');
      await store.createChannel(channel('c2', 'g1', 'random'));
      const general = 'g1-general';
      await store.addMessage(message('m5', 'g1', general, 5));
      await store.addMessage(message('m3b', 'g1', general, 3));
      await store.addMessage(message('m3a', 'g1', general, 3));
      await store.addMessage(message('m1', 'g1', general, 1));
      await store.addMessage(message('m4', 'g1', general, 4.5));
      await store.addMessage({ ...message('x', 'g1', 'c2', 2), attachment_meta: '{"a":1}' });
      const ids = async (since: number, notBefore: number, limit: number) =>
        (await store.fetchMessages('g1', general, since, notBefore, limit)).map((m) => m.id);
      expect(await ids(0, 0, 10)).toEqual(['m1', 'm3a', 'm3b', 'm4', 'm5']);
      expect(await ids(0, 0, 2)).toEqual(['m1', 'm3a', 'm3b']);
      expect(await ids(1, 0, 10)).toEqual(['m3a', 'm3b', 'm4', 'm5']);
      expect(await ids(0, 4.5, 10)).toEqual(['m4', 'm5']);
      expect(await ids(4.5, 3, 10)).toEqual(['m5']);
      expect(await ids(5, 0, 10)).toEqual([]);
      expect(await store.fetchMessages('g1', 'c2', 0, 0, 10)).toEqual([{ ...message('x', 'g1', 'c2', 2), attachment_meta: '{"a":1}' }]);
      expect(await store.fetchMessages('g2', general, 0, 0, 10)).toEqual([]);
    });

    test('sendContext answers what getGroup, getMember, getChannel, usage and listMemberIds answer, absent parts undefined', async () => {
      await seed('g1', { key_version: 3, created_at: 1000.5 });
      await member('g1', 'bob', 2000.25);
      await member('g1', 'pending-pat', 3000, true);
      await store.addMessage({ ...message('m1', 'g1', 'g1-general', 1), sender_id: 'bob' });
      const context = await store.sendContext('g1', 'g1-general', 'bob');
      expect(context).toEqual({
        group: await store.getGroup('g1'),
        member: await store.getMember('g1', 'bob'),
        channel: await store.getChannel('g1-general'),
        usage: await store.usage('g1', 'bob'),
        memberIds: ['owner', 'bob'],
      });
      expect(context.usage.group.message_bytes).toBeGreaterThan(0);
      const none = { message_bytes: 0, file_bytes: 0 };
      expect(await store.sendContext('nope', 'nope-general', 'bob')).toEqual({
        group: undefined,
        member: undefined,
        channel: undefined,
        usage: { group: none, key: context.usage.key },
        memberIds: [],
      });
      expect((await store.sendContext('g1', 'g1-general', 'pending-pat')).member).toMatchObject({ pending: true });
    });

    test('deleteChannel removes the channel and only its messages', async () => {
      await seed('g1');
      await store.createChannel(channel('c2', 'g1', 'random'));
      await store.addMessage(message('m1', 'g1', 'g1-general', 1));
      await store.addMessage(message('m2', 'g1', 'c2', 2));
      await store.deleteChannel('c2');
      expect(await store.getChannel('c2')).toBeUndefined();
      expect(await store.fetchMessages('g1', 'c2', 0, 0, 10)).toEqual([]);
      expect(await rows('group_messages')).toBe(1);
      await expect(store.addMessage(message('m3', 'g1', 'c2', 3))).rejects.toThrow(/foreign key/i);
    });
  });

  describe('attachments and deletion', () => {
    test('putAttachment upserts, getAttachment is per group, isAttachmentHeld spans groups', async () => {
      await seed('g1');
      await seed('g2');
      const att = { group_id: 'g1', att_id: 'a1', uploader: 'owner', size: 10, created_at: 1000 };
      await store.putAttachment(att);
      await store.putAttachment({ ...att, size: 11 });
      await store.putAttachment({ ...att, group_id: 'g2' });
      expect(await store.getAttachment('g1', 'a1')).toEqual({ ...att, size: 11 });
      expect(await store.getAttachment('g1', 'a2')).toBeUndefined();
      expect(await store.isAttachmentHeld('a1')).toBe(true);
      expect(await store.isAttachmentHeld('a2')).toBe(false);
      expect(await store.deleteGroup('g1')).toEqual(['a1']);
      expect(await store.isAttachmentHeld('a1')).toBe(true); // g2 still holds it
      expect(await store.deleteGroup('g2')).toEqual(['a1']);
      expect(await store.isAttachmentHeld('a1')).toBe(false);
    });

    test('deleteGroup cascades to everything of that group and returns its attachment ids', async () => {
      await seed('g1');
      await seed('g2');
      for (const g of ['g1', 'g2']) {
        await member(g, 'bob', 1001);
        await member(g, 'carol', 1002, true);
        await store.putMemberKey(g, 'bob', 1, 'k', 1000);
        await store.addBan(g, 'eve', 1000);
        await store.createChannel(channel(`${g}-c2`, g, 'random'));
        await store.addMessage(message(`${g}-m1`, g, `${g}-general`, 1));
        await store.addMessage(message(`${g}-m2`, g, `${g}-c2`, 2));
        await store.putAttachment({ group_id: g, att_id: `${g}-a1`, uploader: 'bob', size: 1, created_at: 1 });
        await store.putAttachment({ group_id: g, att_id: `${g}-a2`, uploader: 'bob', size: 1, created_at: 1 });
      }
      expect(await store.countGroups()).toBe(2);
      expect((await store.deleteGroup('g1')).sort()).toEqual(['g1-a1', 'g1-a2']);
      expect(await store.countGroups()).toBe(1);
      expect(await store.getGroup('g1')).toBeUndefined();
      expect(await store.getGroupByInvite('invite-g1')).toBeUndefined();
      expect(await store.listGroupsOf('bob')).toHaveLength(1);
      for (const table of ['group_members', 'group_member_keys', 'group_bans', 'channels', 'group_messages', 'group_attachments']) {
        expect(await rows(table, 'g1'), table).toBe(0);
      }
      // g2 untouched.
      expect(await store.countMembers('g2')).toEqual({ members: 2, pending: 1 });
      expect(await store.countChannels('g2')).toBe(2);
      expect(await rows('group_messages')).toBe(2);
      expect(await store.isBanned('g2', 'eve')).toBe(true);
      expect(await store.deleteGroup('g1')).toEqual([]);
    });
  });
}
