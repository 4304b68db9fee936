/** What every ChatGroupStore driver must do, single-node and with two nodes on one database. */
import { expect, test } from 'vitest';
import type { ChatGroup, ChatGroupStore, MembershipChange } from '../../src/features/chat/chat-group-store.js';
import type { SqlBackend } from './backends.js';

export const CHAT_GROUP_TABLES = ['chat_group_members', 'chat_groups'];

const chatGroup = (groupId: string, memberIds: string[], overrides: Partial<ChatGroup> = {}): ChatGroup => ({
  groupId,
  name: `group ${groupId}`,
  creatorId: memberIds[0] ?? 'nobody',
  memberIds,
  keyVersion: 1,
  createdAt: 1000.5,
  updatedAt: 1000.5,
  ...overrides,
});

const versionOf = (change: MembershipChange) => (change.status === 'changed' ? change.keyVersion : -1);

export function chatGroupStoreContract(backend: () => SqlBackend<ChatGroupStore>): void {
  test('create stores the group with its members in the given order; a taken id is refused and changes nothing', async () => {
    const store = await backend().node();
    const group = chatGroup('g1', ['carol', 'alice', 'bob'], { keyVersion: 3 });
    expect(await store.create(group)).toBe(true);
    expect(await store.get('g1')).toEqual(group);
    expect(await store.create(chatGroup('g1', ['mallory'], { name: 'taken' }))).toBe(false);
    expect(await store.get('g1')).toEqual(group);
    expect(await store.listOf('mallory')).toEqual([]);
    expect(await store.get('g2')).toBeUndefined();
    // A member named twice is a member once.
    expect(await store.create(chatGroup('g3', ['alice', 'bob', 'alice']))).toBe(true);
    expect((await store.get('g3'))?.memberIds).toEqual(['alice', 'bob']);
    expect(await store.create(chatGroup('g4', []))).toBe(true);
    expect((await store.get('g4'))?.memberIds).toEqual([]);
  });

  test("listOf answers a user's groups, oldest first", async () => {
    const store = await backend().node();
    await store.create(chatGroup('g-b', ['alice', 'bob']));
    await store.create(chatGroup('g-a', ['bob']));
    await store.create(chatGroup('g-c', ['carol', 'alice'], { createdAt: 1 }));
    expect((await store.listOf('alice')).map((g) => g.groupId)).toEqual(['g-b', 'g-c']);
    expect(await store.listOf('bob')).toEqual([chatGroup('g-b', ['alice', 'bob']), chatGroup('g-a', ['bob'])]);
    expect(await store.listOf('nobody')).toEqual([]);
  });

  test('addMember: a member adds someone, the key version moves forward; a member twice is unchanged; the cap is full', async () => {
    const store = await backend().node();
    await store.create(chatGroup('g1', ['alice', 'bob']));
    expect(await store.addMember({ groupId: 'g1', actorId: 'bob', userId: 'carol', at: 2000.5, maxMembers: 3 })).toEqual({
      status: 'changed',
      keyVersion: 2,
      memberIds: ['alice', 'bob', 'carol'],
    });
    expect(await store.get('g1')).toEqual(chatGroup('g1', ['alice', 'bob', 'carol'], { keyVersion: 2, updatedAt: 2000.5 }));
    expect(await store.addMember({ groupId: 'g1', actorId: 'alice', userId: 'bob', at: 2001, maxMembers: 3 })).toEqual({ status: 'unchanged' });
    expect(await store.addMember({ groupId: 'g1', actorId: 'alice', userId: 'dave', at: 2001, maxMembers: 3 })).toEqual({ status: 'full' });
    expect(await store.addMember({ groupId: 'g1', actorId: 'alice', userId: 'dave', at: 2002, maxMembers: 4 })).toMatchObject({
      status: 'changed',
      keyVersion: 3,
    });
    expect((await store.listOf('dave')).map((g) => g.groupId)).toEqual(['g1']);
    expect(await store.get('g1')).toMatchObject({ keyVersion: 3, updatedAt: 2002 });
  });

  test('only a member may change the membership; an unknown group has no members', async () => {
    const store = await backend().node();
    await store.create(chatGroup('g1', ['alice']));
    const selfInvited = await store.addMember({ groupId: 'g1', actorId: 'mallory', userId: 'mallory', at: 2000, maxMembers: 10 });
    expect(selfInvited).toEqual({ status: 'actor_not_member' });
    expect(await store.removeMember({ groupId: 'g1', actorId: 'mallory', userId: 'alice', at: 2000 })).toEqual({ status: 'actor_not_member' });
    expect(await store.addMember({ groupId: 'g2', actorId: 'alice', userId: 'bob', at: 2000, maxMembers: 10 })).toEqual({ status: 'actor_not_member' });
    expect(await store.removeMember({ groupId: 'g2', actorId: 'alice', userId: 'alice', at: 2000 })).toEqual({ status: 'actor_not_member' });
    expect(await store.get('g1')).toEqual(chatGroup('g1', ['alice']));
  });

  test('removeMember: removes a member (the actor too) with a new key version; a non-member is unchanged', async () => {
    const store = await backend().node();
    await store.create(chatGroup('g1', ['alice', 'bob', 'carol']));
    expect(await store.removeMember({ groupId: 'g1', actorId: 'alice', userId: 'bob', at: 2000 })).toEqual({
      status: 'changed',
      keyVersion: 2,
      memberIds: ['alice', 'carol'],
    });
    expect(await store.removeMember({ groupId: 'g1', actorId: 'alice', userId: 'bob', at: 2001 })).toEqual({ status: 'unchanged' });
    const leaving = await store.removeMember({ groupId: 'g1', actorId: 'carol', userId: 'carol', at: 2002 });
    expect(leaving).toEqual({ status: 'changed', keyVersion: 3, memberIds: ['alice'] });
    expect(await store.removeMember({ groupId: 'g1', actorId: 'carol', userId: 'alice', at: 2003 })).toEqual({ status: 'actor_not_member' });
    // Back in: joins at the end.
    expect(await store.addMember({ groupId: 'g1', actorId: 'alice', userId: 'bob', at: 2004, maxMembers: 10 })).toMatchObject({ memberIds: ['alice', 'bob'] });
    expect(await store.listOf('carol')).toEqual([]);
    expect(await store.get('g1')).toMatchObject({ keyVersion: 4, updatedAt: 2004 });
  });

  test('two nodes adding 30 members at once against a cap of 21: 20 changes, each with its own key version', async () => {
    const nodes = [await backend().node(), await backend().node()];
    await (nodes[0] as ChatGroupStore).create(chatGroup('g1', ['owner']));
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        (nodes[i % 2] as ChatGroupStore).addMember({ groupId: 'g1', actorId: 'owner', userId: `u${i}`, at: 2000 + i, maxMembers: 21 }),
      ),
    );
    const changed = results.filter((r) => r.status === 'changed');
    expect(changed.map(versionOf).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
    expect(results.filter((r) => r.status === 'full')).toHaveLength(10);
    // Each change answers the members as it left them: one more than the change before.
    for (const change of changed) expect(change.status === 'changed' && change.memberIds.length).toBe(versionOf(change));
    const group = await (nodes[1] as ChatGroupStore).get('g1');
    expect(group?.memberIds).toHaveLength(21);
    expect(group?.keyVersion).toBe(21);
  });

  test('two nodes adding and removing at once: distinct key versions, and a removed actor changes nothing after', async () => {
    const nodes = [await backend().node(), await backend().node()];
    const members = Array.from({ length: 20 }, (_, i) => `m${i}`);
    await (nodes[0] as ChatGroupStore).create(chatGroup('g1', ['owner', ...members]));
    const results = await Promise.all(
      members.flatMap((m, i) => [
        (nodes[i % 2] as ChatGroupStore).removeMember({ groupId: 'g1', actorId: 'owner', userId: m, at: 2000 }),
        (nodes[(i + 1) % 2] as ChatGroupStore).addMember({ groupId: 'g1', actorId: m, userId: `new${i}`, at: 2000, maxMembers: 100 }),
      ]),
    );
    const versions = results.map(versionOf).filter((v) => v > 0);
    expect(new Set(versions).size).toBe(versions.length);
    expect([...versions].sort((a, b) => a - b)).toEqual(Array.from({ length: versions.length }, (_, i) => i + 2));
    const group = await (nodes[1] as ChatGroupStore).get('g1');
    expect(group?.keyVersion).toBe(versions.length + 1);
    // An add went through only if its actor was still a member when it ran.
    const added = results.filter((r, i) => i % 2 === 1 && r.status === 'changed').length;
    expect(results.filter((r, i) => i % 2 === 1 && r.status === 'actor_not_member')).toHaveLength(20 - added);
    expect(group?.memberIds).toHaveLength(1 + added);
  });
}
