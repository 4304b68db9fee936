// Group history: ascending pages with has_more/next_since that reach every message exactly once
// (nothing newer is ever hidden, flaw 21), the server_store_history join clamp, and deletions that
// take their messages and files with them (flaw 20). Real clients over HTTP.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { newGroupKey, type GroupMessageItem, text } from 'whispr-sdk';
import { useGroupServer, type GroupTestUser } from './group-kit.js';

const { kit, user } = useGroupServer();
type User = GroupTestUser;
const messageRows = (column: 'group_id' | 'channel_id', id: string) =>
  (kit.db.prepare(`SELECT count(*) AS n FROM group_messages WHERE ${column} = ?`).get(id) as { n: number }).n;
const blobFile = (attId: string) => join(kit.s.dataDir, 'group-attachments', attId.slice(0, 2), `${attId}.bin`);

async function groupOf(owner: User, ...members: User[]) {
  const { id, invite_code } = await owner.g.create('history');
  for (const m of members) await m.g.join({ invite_code });
  const general = (await owner.g.listChannels(id)).channels[0]!.id;
  const key = newGroupKey();
  await owner.g.distributeKey(id, key, 1);
  return { id, invite_code, general, key };
}

/** Every page from `since` on, following next_since until has_more is false. */
async function allPages(u: User, groupId: string, channelId: string, limit: number, since?: number) {
  const pages: { messages: GroupMessageItem[]; has_more: boolean; next_since: number }[] = [];
  for (;;) {
    const page = await u.g.fetch(groupId, channelId, { limit, ...(since === undefined ? {} : { since }) });
    pages.push(page);
    since = page.next_since;
    if (!page.has_more) return pages;
    if (pages.length > 100) throw new Error('has_more never became false');
  }
}

describe('pages', () => {
  test('25 messages in pages of 10: oldest first, every message exactly once, in order', async () => {
    const owner = user();
    const bob = user();
    const grp = await groupOf(owner, bob);
    const sent: { id: string; timestamp: number }[] = [];
    for (let i = 0; i < 25; i++) sent.push(await (i % 2 === 0 ? owner : bob).g.send(grp.id, grp.general, grp.key, 1, `m${i}`));
    // Server-assigned timestamps are strictly increasing.
    for (let i = 1; i < sent.length; i++) expect(sent[i]!.timestamp).toBeGreaterThan(sent[i - 1]!.timestamp);

    const first = await bob.g.fetch(grp.id, grp.general, { limit: 10 });
    expect(first.messages.map((m) => bob.g.decrypt(m, grp.key))).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
    expect(first.has_more).toBe(true);
    expect(first.next_since).toBe(sent[9]!.timestamp);

    const pages = await allPages(bob, grp.id, grp.general, 10);
    expect(pages.map((p) => p.messages.length)).toEqual([10, 10, 5]);
    expect(pages.map((p) => p.has_more)).toEqual([true, true, false]);
    const ids = pages.flatMap((p) => p.messages.map((m) => m.id));
    expect(ids).toEqual(sent.map((m) => m.id));
    const stamps = pages.flatMap((p) => p.messages.map((m) => m.timestamp));
    expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
    expect(pages.at(-1)!.next_since).toBe(sent[24]!.timestamp);

    // Past the end: an empty page that keeps the cursor.
    const after = await bob.g.fetch(grp.id, grp.general, { limit: 10, since: pages.at(-1)!.next_since });
    expect(after).toEqual({ messages: [], has_more: false, next_since: sent[24]!.timestamp });
  });

  test('a message sent after a page was read is on the next page, never hidden (flaw 21)', async () => {
    const owner = user();
    const bob = user();
    const grp = await groupOf(owner, bob);
    for (let i = 0; i < 3; i++) await owner.g.send(grp.id, grp.general, grp.key, 1, `old${i}`);
    const page = await bob.g.fetch(grp.id, grp.general, { limit: 2 });
    expect(page.has_more).toBe(true);
    const late = await owner.g.send(grp.id, grp.general, grp.key, 1, 'late');
    const rest = await allPages(bob, grp.id, grp.general, 2, page.next_since);
    expect(rest.flatMap((p) => p.messages.map((m) => bob.g.decrypt(m, grp.key)))).toEqual(['old2', 'late']);

    // Caught up (has_more false), then a newer message: the cursor finds it.
    const cursor = rest.at(-1)!.next_since;
    expect(cursor).toBe(late.timestamp);
    const newer = await bob.g.send(grp.id, grp.general, grp.key, 1, 'newer');
    const next = await bob.g.fetch(grp.id, grp.general, { since: cursor });
    expect(next.messages.map((m) => m.id)).toEqual([newer.id]);

    // Without since, the default page is the oldest 200 ascending and says when more follow.
    const all = await bob.g.fetch(grp.id, grp.general);
    expect(all.messages.map((m) => bob.g.decrypt(m, grp.key))).toEqual(['old0', 'old1', 'old2', 'late', 'newer']);
    expect(all.has_more).toBe(false);
  });

  test('the default page is 200 and has_more says more follow', async () => {
    const owner = user();
    const grp = await groupOf(owner);
    const sent: string[] = [];
    // Concurrent senders: timestamps stay unique and the pages still cover everything once.
    for (let batch = 0; batch < 5; batch++) {
      const results = await Promise.all(Array.from({ length: 41 }, (_, i) => owner.g.send(grp.id, grp.general, grp.key, 1, `b${batch}-${i}`)));
      sent.push(...results.sort((a, b) => a.timestamp - b.timestamp).map((r) => r.id));
    }
    const first = await owner.g.fetch(grp.id, grp.general);
    expect(first.messages).toHaveLength(200);
    expect(first.has_more).toBe(true);
    const rest = await owner.g.fetch(grp.id, grp.general, { since: first.next_since });
    expect([...first.messages, ...rest.messages].map((m) => m.id)).toEqual(sent);
    expect(rest.has_more).toBe(false);
  });
});

describe('server_store_history', () => {
  test('false: a member who joins later sees only what was sent after joining', async () => {
    const owner = user();
    const grp = await groupOf(owner);
    expect(await owner.g.setServerFlag(grp.id, 'server_store_history', false)).toEqual({ server_store_history: false });
    for (let i = 0; i < 3; i++) await owner.g.send(grp.id, grp.general, grp.key, 1, `before${i}`);
    const carol = user();
    await carol.g.join({ invite_code: grp.invite_code });
    const after = [await owner.g.send(grp.id, grp.general, grp.key, 1, 'after0'), await carol.g.send(grp.id, grp.general, grp.key, 1, 'after1')];
    const seen = await carol.g.fetch(grp.id, grp.general, { since: 0 });
    expect(seen.messages.map((m) => m.id)).toEqual(after.map((m) => m.id));
    expect(seen.has_more).toBe(false);
    // The owner, there from the start, still sees everything.
    expect((await owner.g.fetch(grp.id, grp.general)).messages).toHaveLength(5);
  });

  test('true (the default): a later member sees the history', async () => {
    const owner = user();
    const grp = await groupOf(owner);
    expect((await owner.g.info(grp.id)).server_store_history).toBe(true);
    for (let i = 0; i < 3; i++) await owner.g.send(grp.id, grp.general, grp.key, 1, `before${i}`);
    const carol = user();
    await carol.g.join({ invite_code: grp.invite_code });
    await owner.g.send(grp.id, grp.general, grp.key, 1, 'after');
    const seen = await carol.g.fetch(grp.id, grp.general);
    expect(seen.messages.map((m) => carol.g.decrypt(m, grp.key))).toEqual(['before0', 'before1', 'before2', 'after']);
  });
});

describe('deletion takes the messages and files with it', () => {
  test('deleting a channel removes its messages; a new channel of the same name is empty', async () => {
    const owner = user();
    const bob = user();
    const grp = await groupOf(owner, bob);
    const { channel_id } = await owner.g.createChannel(grp.id, 'random');
    for (let i = 0; i < 4; i++) await bob.g.send(grp.id, channel_id, grp.key, 1, `r${i}`);
    await owner.g.send(grp.id, grp.general, grp.key, 1, 'stays');
    expect(messageRows('channel_id', channel_id)).toBe(4);

    expect(await owner.g.deleteChannel(channel_id)).toEqual({ status: 'deleted' });
    await expect(bob.g.fetch(grp.id, channel_id)).rejects.toMatchObject({ status: 404, errorCode: 'CHANNEL_NOT_FOUND' });
    await expect(bob.g.send(grp.id, channel_id, grp.key, 1, 'gone')).rejects.toMatchObject({ status: 404 });
    expect(messageRows('channel_id', channel_id)).toBe(0);

    const again = await owner.g.createChannel(grp.id, 'random');
    expect(again.channel_id).not.toBe(channel_id);
    expect(await bob.g.fetch(grp.id, again.channel_id)).toEqual({ messages: [], has_more: false, next_since: 0 });
    expect((await bob.g.fetch(grp.id, grp.general)).messages.map((m) => bob.g.decrypt(m, grp.key))).toEqual(['stays']);
  });

  test('deleting a group removes its messages and its files, except bytes another group still holds', async () => {
    const owner = user();
    const bob = user();
    const grp = await groupOf(owner, bob);
    const other = await groupOf(owner);
    await bob.g.send(grp.id, grp.general, grp.key, 1, 'hello');
    const own = await bob.g.upload(grp.id, Buffer.from('only in this group'));
    const shared = await bob.g.upload(grp.id, Buffer.from('in both groups'));
    expect((await owner.g.upload(other.id, Buffer.from('in both groups'))).id).toBe(shared.id);
    expect(existsSync(blobFile(own.id)) && existsSync(blobFile(shared.id))).toBe(true);

    expect(await owner.g.delete(grp.id)).toEqual({ status: 'deleted' });
    await expect(bob.g.download(grp.id, own.id)).rejects.toMatchObject({ status: 404 });
    await expect(bob.g.download(grp.id, shared.id)).rejects.toMatchObject({ status: 404 });
    await expect(bob.g.fetch(grp.id, grp.general)).rejects.toMatchObject({ status: 404, errorCode: 'GROUP_NOT_FOUND' });
    expect(messageRows('group_id', grp.id)).toBe(0);
    expect(existsSync(blobFile(own.id))).toBe(false);
    expect(existsSync(blobFile(shared.id))).toBe(true);
    expect(text(await owner.g.download(other.id, shared.id))).toBe('in both groups');

    // When the last group holding them goes, so do the bytes.
    await owner.g.delete(other.id);
    expect(existsSync(blobFile(shared.id))).toBe(false);
  });
});
