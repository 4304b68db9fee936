// Retention of group history and files: past group_message_ttl_seconds / group_attachment_ttl_seconds
// the cleanup deletes messages, file records and the bytes no group holds any more, and the room
// they took counts for the quotas again; 0 (the default) keeps everything.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { newGroupKey } from 'whispr-sdk';
import { advanceDate, stoppedDate } from '../support/fake-date.js';
import { type GroupTestUser, useGroupServer } from './group-kit.js';

const HOUR = 3600;
const HOUR_MS = HOUR * 1000;

// Message and file times are stamped by Date: stopped, they age only when advanceDate says so.
stoppedDate();

async function groupOf(owner: GroupTestUser) {
  const { id, invite_code } = await owner.g.create('retention');
  const general = (await owner.g.listChannels(id)).channels[0]!.id;
  const key = newGroupKey();
  await owner.g.distributeKey(id, key, 1);
  const send = (text: string) => owner.g.send(id, general, key, 1, text);
  const texts = async () => (await owner.g.fetch(id, general)).messages.map((m) => owner.g.decrypt(m, key));
  return { id, invite_code, send, texts };
}

describe('with retention set', () => {
  const { kit, user } = useGroupServer({ group_message_ttl_seconds: HOUR, group_attachment_ttl_seconds: HOUR, key_group_history_quota_bytes: 4000 });
  const filesOnDisk = () => {
    const root = join(kit.s.dataDir, 'group-attachments');
    return existsSync(root) ? readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length : 0;
  };

  test('messages older than the retention go at the cleanup, and their room counts for the quota again', async () => {
    const owner = user();
    const grp = await groupOf(owner);
    await grp.send('old');
    advanceDate(HOUR_MS / 2);
    await grp.send('x'.repeat(1000));
    await grp.send('y'.repeat(1000));
    await expect(grp.send('z'.repeat(1000))).rejects.toMatchObject({ status: 413, errorCode: 'QUOTA_EXCEEDED' });

    advanceDate(HOUR_MS / 2 + 1000);
    await kit.s.server.runCleanup();
    expect(await grp.texts()).toEqual(['x'.repeat(1000), 'y'.repeat(1000)]);
    advanceDate(HOUR_MS / 2);
    await kit.s.server.runCleanup();
    expect(await grp.texts()).toEqual([]);
    await grp.send('z'.repeat(1000));
    expect(await grp.texts()).toEqual(['z'.repeat(1000)]);
  });

  test('a file record goes after the retention; its bytes stay while another group still holds them', async () => {
    const owner = user();
    const [first, second] = [await groupOf(owner), await groupOf(owner)];
    const bytes = randomBytes(3000);
    const before = filesOnDisk();
    const { id } = await owner.g.upload(first.id, bytes);
    advanceDate(HOUR_MS / 2);
    await owner.g.upload(second.id, bytes);

    advanceDate(HOUR_MS / 2 + 1000);
    await kit.s.server.runCleanup();
    await expect(owner.g.download(first.id, id)).rejects.toMatchObject({ status: 404 });
    expect(Buffer.from(await owner.g.download(second.id, id)).equals(bytes)).toBe(true);
    expect(filesOnDisk()).toBe(before + 1);

    advanceDate(HOUR_MS / 2);
    await kit.s.server.runCleanup();
    await expect(owner.g.download(second.id, id)).rejects.toMatchObject({ status: 404 });
    expect(filesOnDisk()).toBe(before);
  });
});

describe('by default', () => {
  const { kit, user } = useGroupServer();

  test('history and files are kept however old', async () => {
    const owner = user();
    const grp = await groupOf(owner);
    await grp.send('kept');
    const bytes = randomBytes(100);
    const { id } = await owner.g.upload(grp.id, bytes);
    advanceDate(10 * 365 * 24 * HOUR_MS);
    await kit.s.server.runCleanup();
    expect(await grp.texts()).toEqual(['kept']);
    expect(Buffer.from(await owner.g.download(grp.id, id)).equals(bytes)).toBe(true);
  });
});
