/** What every ChatUserStore driver must do, single-node and with two nodes on one database. */
import { expect, test } from 'vitest';
import type { ChatUser, ChatUserStore } from '../../src/features/chat/chat-user-store.js';
import type { SqlBackend } from './backends.js';

export const CHAT_USER_TABLES = ['chat_users'];

const user = (userId: string, overrides: Partial<ChatUser> = {}): ChatUser => ({
  userId,
  email: `${userId}@example.org`,
  displayName: `User ${userId}`,
  publicKey: `key-of-${userId}`,
  createdAt: 1000.5,
  lastSeen: 1000.5,
  ...overrides,
});

export function chatUserStoreContract(backend: () => SqlBackend<ChatUserStore>): void {
  const ids = (users: ChatUser[]) => users.map((u) => u.userId);

  test('put inserts and returns the user; putting it again updates every field but created_at', async () => {
    const store = await backend().node();
    expect(await store.put(user('u1'))).toEqual(user('u1'));
    const changed = user('u1', { email: 'new@example.org', displayName: 'New', publicKey: 'new-key', createdAt: 5000, lastSeen: 5000.25 });
    expect(await store.put(changed)).toEqual({ ...changed, createdAt: 1000.5 });
    expect(await store.get('u1')).toEqual({ ...changed, createdAt: 1000.5 });
    expect(await store.get('u2')).toBeUndefined();
  });

  test('publicKeys answers the registered users among those asked for', async () => {
    const store = await backend().node();
    await store.put(user('u1'));
    await store.put(user('u2'));
    expect(await store.publicKeys(['u2', 'nobody', 'u1', 'u2'])).toEqual(
      new Map([
        ['u1', 'key-of-u1'],
        ['u2', 'key-of-u2'],
      ]),
    );
    expect(await store.publicKeys([])).toEqual(new Map());
  });

  test('search: a case-insensitive substring of email or display name, in registration order, at most limit', async () => {
    const store = await backend().node();
    await store.put(user('u1', { email: 'alice@example.org', displayName: 'Alice Liddell' }));
    await store.put(user('u2', { email: 'bob@example.org', displayName: 'Bob' }));
    await store.put(user('u3', { email: 'carol@example.com', displayName: 'Carol ALICE' }));
    await store.put(user('u1', { email: 'alice@example.org', displayName: 'Alice L.', lastSeen: 2000 })); // an update keeps its place
    expect(ids(await store.search('alice', 10))).toEqual(['u1', 'u3']);
    expect(ids(await store.search('EXAMPLE.ORG', 10))).toEqual(['u1', 'u2']);
    expect(ids(await store.search('b', 10))).toEqual(['u2']);
    expect(ids(await store.search('example', 2))).toEqual(['u1', 'u2']);
    expect(ids(await store.search('', 10))).toEqual(['u1', 'u2', 'u3']);
    expect(await store.search('nobody', 10)).toEqual([]);
    expect((await store.search('alice', 1))[0]).toEqual(user('u1', { email: 'alice@example.org', displayName: 'Alice L.', lastSeen: 2000 }));
  });

  test('search characters are literal: % and _ and \\ match only themselves', async () => {
    const store = await backend().node();
    await store.put(user('u1', { email: 'a_b@example.org', displayName: '100% sure' }));
    await store.put(user('u2', { email: 'axb@example.org', displayName: '100 sure \\o/' }));
    expect(ids(await store.search('a_b', 10))).toEqual(['u1']);
    expect(ids(await store.search('%', 10))).toEqual(['u1']);
    expect(ids(await store.search('_', 10))).toEqual(['u1']);
    expect(ids(await store.search('\\', 10))).toEqual(['u2']);
    expect(ids(await store.search("' OR 1=1 --", 10))).toEqual([]);
  });

  test('search folds case beyond ASCII', async () => {
    const store = await backend().node();
    await store.put(user('u1', { displayName: 'ÄRGER Ωmega' }));
    await store.put(user('u2', { displayName: 'Жанна' }));
    expect(ids(await store.search('ärger', 10))).toEqual(['u1']);
    expect(ids(await store.search('ωMEGA', 10))).toEqual(['u1']);
    expect(ids(await store.search('жАННА', 10))).toEqual(['u2']);
  });

  test('two nodes registering at once: each user once, with the fields of one of its puts', async () => {
    const nodes = [await backend().node(), await backend().node()];
    await Promise.all(
      Array.from({ length: 60 }, (_, i) => (nodes[i % 2] as ChatUserStore).put(user(`u${i % 20}`, { publicKey: `key-${i}`, createdAt: 1000 + i }))),
    );
    const found = await (nodes[1] as ChatUserStore).search('example.org', 100);
    expect(found).toHaveLength(20);
    for (const u of found) {
      const puts = [0, 1, 2].map((k) => Number(u.userId.slice(1)) + 20 * k);
      expect(puts.map((i) => `key-${i}`)).toContain(u.publicKey);
      expect(puts.map((i) => 1000 + i)).toContain(u.createdAt);
    }
  });
}
