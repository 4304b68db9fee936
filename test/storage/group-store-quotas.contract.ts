/** What every GroupStore driver must do for quotas, retention and bulk removal (schema version 7). */
import { beforeEach, describe, expect, test } from 'vitest';
import type { GroupMessage, GroupStore } from '../../src/features/groups/group-store.js';
import { FILE_ROW_BYTES, MESSAGE_ROW_BYTES } from '../../src/core/storage-charge.js';
import type { SqlBackend } from './backends.js';
import { channel, group } from './group-store.contract.js';

const message = (id: string, groupId: string, sender: string, timestamp: number, ciphertext = 'x'.repeat(100)): GroupMessage => ({
  id,
  group_id: groupId,
  channel_id: `${groupId}-general`,
  sender_id: sender,
  ciphertext,
  nonce: 'n'.repeat(16),
  key_version: 1,
  timestamp,
  attachment_meta: null,
});
const file = (groupId: string, attId: string, uploader: string, size: number, createdAt = 1000) => ({
  group_id: groupId,
  att_id: attId,
  uploader,
  size,
  created_at: createdAt,
});
const MESSAGE = 100 + MESSAGE_ROW_BYTES;

export function groupStoreQuotasContract(backend: () => SqlBackend<GroupStore>): void {
  let store: GroupStore;
  beforeEach(async () => {
    store = await backend().node();
  });
  const seed = (id: string) => store.createGroup(group(id), channel(`${id}-general`, id, 'general'));
  const member = (groupId: string, userId: string, joined_at: number, pending = false, role: 'member' | 'admin' = 'member') =>
    store.putMember({ group_id: groupId, user_id: userId, role, pending, joined_at });

  describe('usage counters', () => {
    test('count each message and file to its group and its writer, and follow every delete', async () => {
      const none = { message_bytes: 0, file_bytes: 0 };
      expect(await store.usage('nope', 'nobody')).toEqual({ group: none, key: none });
      await seed('g1');
      await seed('g2');
      await store.createChannel(channel('g1-c2', 'g1', 'random'));
      await store.addMessage(message('m1', 'g1', 'bob', 1));
      await store.addMessage({ ...message('m2', 'g1', 'bob', 2), channel_id: 'g1-c2', attachment_meta: '{"a":1}' });
      await store.addMessage(message('m3', 'g2', 'bob', 3));
      await store.addMessage(message('m4', 'g1', 'carol', 4));
      await store.putAttachment(file('g1', 'a1', 'bob', 1000));
      await store.putAttachment(file('g2', 'a1', 'bob', 1000));
      expect(await store.usage('g1', 'bob')).toEqual({
        group: { message_bytes: 3 * MESSAGE + 7, file_bytes: 1000 + FILE_ROW_BYTES },
        key: { message_bytes: 3 * MESSAGE + 7, file_bytes: 2 * (1000 + FILE_ROW_BYTES) },
      });

      // The same file uploaded again by carol: charged to her, not to both.
      await store.putAttachment(file('g1', 'a1', 'carol', 1000));
      expect((await store.usage('g1', 'bob')).key.file_bytes).toBe(1000 + FILE_ROW_BYTES);
      expect((await store.usage('g1', 'carol')).key.file_bytes).toBe(1000 + FILE_ROW_BYTES);

      await store.deleteChannel('g1-c2');
      expect(await store.usage('g1', 'bob')).toMatchObject({ group: { message_bytes: 2 * MESSAGE }, key: { message_bytes: 2 * MESSAGE } });
      expect(await store.purgeMessagesBefore(2, 10)).toBe(1); // m1
      expect(await store.usage('g1', 'bob')).toMatchObject({ group: { message_bytes: MESSAGE }, key: { message_bytes: MESSAGE } });

      await store.deleteGroup('g2');
      expect(await store.usage('g2', 'bob')).toEqual({ group: none, key: none });
      expect(await store.usage('g1', 'carol')).toEqual({
        group: { message_bytes: MESSAGE, file_bytes: 1000 + FILE_ROW_BYTES },
        key: { message_bytes: MESSAGE, file_bytes: 1000 + FILE_ROW_BYTES },
      });
    });
  });

  describe('two nodes at once', () => {
    test('a sweep across groups while the same keys write on another node: everything succeeds and the counters add up', async () => {
      const other = await backend().node();
      const groups = ['g1', 'g2', 'g3'];
      const keys = ['k1', 'k2', 'k3'];
      for (const g of groups) await seed(g);
      for (const g of groups) for (const k of keys) for (let i = 0; i < 5; i += 1) await store.addMessage(message(`old-${g}-${k}-${i}`, g, k, 1));
      // Writes by the keys the sweep is charging back, in the groups it is sweeping, crosswise.
      const writes = groups.flatMap((g, gi) => keys.map((_, ki) => other.addMessage(message(`new-${g}-${ki}`, g, keys[(gi + ki) % 3]!, 10))));
      const sweep = store.purgeMessagesBefore(5, 1000);
      await Promise.all([...writes, sweep]);
      expect(await sweep).toBe(45);
      for (const g of groups) expect((await store.usage(g, 'k1')).group.message_bytes).toBe(3 * MESSAGE);
      for (const k of keys) expect((await store.usage('g1', k)).key.message_bytes).toBe(3 * MESSAGE);
    });
  });

  describe('retention', () => {
    test('purgeMessagesBefore deletes the oldest first, at most max', async () => {
      await seed('g1');
      for (const t of [1, 2, 3, 4]) await store.addMessage(message(`m${t}`, 'g1', 'bob', t));
      expect(await store.purgeMessagesBefore(4, 2)).toBe(2);
      expect((await store.fetchMessages('g1', 'g1-general', 0, 0, 10)).map((m) => m.id)).toEqual(['m3', 'm4']);
      expect(await store.purgeMessagesBefore(4, 10)).toBe(1);
      expect(await store.purgeMessagesBefore(4, 10)).toBe(0);
    });

    test('purgeAttachmentsBefore deletes old records, at most max, and returns the ids they held', async () => {
      await seed('g1');
      await seed('g2');
      await store.putAttachment(file('g1', 'old', 'bob', 1, 10));
      await store.putAttachment(file('g2', 'old', 'bob', 1, 11));
      await store.putAttachment(file('g1', 'new', 'bob', 1, 30));
      expect(await store.purgeAttachmentsBefore(20, 1)).toEqual(['old']);
      expect(await store.purgeAttachmentsBefore(20, 10)).toEqual(['old']);
      expect(await store.isAttachmentHeld('old')).toBe(false);
      expect(await store.getAttachment('g1', 'new')).toBeDefined();
    });

    test('purgeRequestsBefore drops old join requests only', async () => {
      await seed('g1');
      await member('g1', 'old-request', 10, true);
      await member('g1', 'new-request', 30, true);
      await member('g1', 'old-member', 10);
      expect(await store.purgeRequestsBefore(20, 10)).toBe(1);
      expect(await store.getMember('g1', 'old-request')).toBeUndefined();
      expect(await store.countMembers('g1')).toEqual({ members: 2, pending: 1 });
    });
  });

  describe('bulk removal and sealed keys', () => {
    test('removeRecent takes plain members (or requests) since a time, newest first, with their keys', async () => {
      await seed('g1');
      await member('g1', 'early', 10);
      await member('g1', 'admin', 20, false, 'admin');
      for (const [id, at] of [
        ['late1', 21],
        ['late2', 22],
        ['late3', 23],
      ] as const)
        await member('g1', id, at);
      await member('g1', 'asking', 22, true);
      await store.putMemberKey('g1', 'late3', 1, 'k', 23);
      expect(await store.removeRecent('g1', 21, false, 2)).toEqual(['late3', 'late2']);
      expect(await store.removeRecent('g1', 15, false, 10)).toEqual(['late1']);
      expect(await store.listMemberIds('g1')).toEqual(['early', 'admin', 'owner']); // by join time; the owner joined at 1000
      expect(await backend().rows('group_member_keys', 'g1')).toBe(0);
      expect(await store.removeRecent('g1', 0, true, 10)).toEqual(['asking']);
      expect(await store.countMembers('g1')).toEqual({ members: 3, pending: 0 });
    });

    test('putMemberKey drops the member’s keys below the current version; removeMember drops them all', async () => {
      await seed('g1');
      await member('g1', 'bob', 10);
      await store.putMemberKey('g1', 'bob', 1, 'k1', 10);
      expect(await store.bumpKeyVersion('g1')).toBe(2);
      await store.putMemberKey('g1', 'owner', 2, 'o2', 11);
      expect(await backend().rows('group_member_keys', 'g1')).toBe(2); // bob's v1 stays until bob's next key
      await store.putMemberKey('g1', 'bob', 2, 'k2', 11);
      expect(await backend().rows('group_member_keys', 'g1')).toBe(2);
      expect((await store.listMemberKeys('g1', 2)).map((k) => k.encrypted_group_key)).toEqual(['k2', 'o2']);
      await store.removeMember('g1', 'bob');
      expect(await backend().rows('group_member_keys', 'g1')).toBe(1);
    });
  });
}
