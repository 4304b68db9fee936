// Group limits (members, pending requests, channels, fetch size, message and file size): each breach
// gets a clear error and leaves nothing stored. Real clients over HTTP, one server with small limits.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { newGroupKey } from 'whispr-sdk';
import { call, expectError } from '../auth/api.js';
import { rawExchange, rawSocket } from '../relay/helpers.js';
import { useGroupServer, type GroupTestUser } from './group-kit.js';

const MEMBERS = 3;
const REQUESTS = 3;
const CHANNELS = 2;
const FETCH = 50;
const MESSAGE = 1024;
const FILE = 1024;
const TAG = 16; // ChaCha20-Poly1305 tag: ciphertext = plaintext + 16 bytes

const { kit, user } = useGroupServer({
  max_group_members: MEMBERS,
  max_group_join_requests: REQUESTS,
  max_group_channels: CHANNELS,
  max_group_fetch: FETCH,
  max_message_size: MESSAGE,
  group_attachment_max_size_bytes: FILE,
});
type User = GroupTestUser;
const count = (sql: string, ...args: unknown[]) => (kit.db.prepare(sql).get(...args) as { n: number }).n;
const rows = (table: string, groupId: string, extra = '') => count(`SELECT count(*) AS n FROM ${table} WHERE group_id = ? ${extra}`, groupId);
const groupFiles = () => {
  const root = join(kit.s.dataDir, 'group-attachments');
  return existsSync(root)
    ? readdirSync(root, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => e.name)
        .sort()
    : [];
};

/** A group of `owner` with #general and the key v1 distributed. */
async function groupOf(owner: User, isPublic = false) {
  const { id, invite_code } = await owner.g.create('limits', isPublic);
  const general = (await owner.g.listChannels(id)).channels[0]!.id;
  const key = newGroupKey();
  await owner.g.distributeKey(id, key, 1);
  return { id, invite_code, general, key };
}

describe('members per group (max_group_members = 3)', () => {
  test('the 4th member by invite code is 409 GROUP_FULL and is not added', async () => {
    const owner = user();
    const grp = await groupOf(owner);
    for (const u of [user(), user()]) expect(await u.g.join({ invite_code: grp.invite_code })).toMatchObject({ status: 'joined' });
    const fourth = user();
    await expect(fourth.g.join({ invite_code: grp.invite_code })).rejects.toMatchObject({ status: 409, errorCode: 'GROUP_FULL' });
    await expect(fourth.g.role(grp.id)).rejects.toMatchObject({ status: 403, errorCode: 'NOT_A_MEMBER' });
    expect((await owner.g.memberKeys(grp.id)).members).toHaveLength(MEMBERS);
    expect(rows('group_members', grp.id)).toBe(MEMBERS);
  });

  test('a full public group refuses a join by group id', async () => {
    const owner = user();
    const grp = await groupOf(owner, true);
    for (const u of [user(), user()]) expect(await u.g.join({ group_id: grp.id })).toMatchObject({ status: 'joined' });
    await expect(user().g.join({ group_id: grp.id })).rejects.toMatchObject({ status: 409, errorCode: 'GROUP_FULL' });
    expect(rows('group_members', grp.id)).toBe(MEMBERS);
  });

  test('pending requests are capped (max_group_join_requests = 3), and approving into a full group is 409', async () => {
    const owner = user();
    const grp = await groupOf(owner);
    const asking = [user(), user(), user()];
    for (const u of asking) expect(await u.g.join({ group_id: grp.id })).toMatchObject({ status: 'pending' });
    const late = user();
    await expect(late.g.join({ group_id: grp.id })).rejects.toMatchObject({ status: 409, errorCode: 'GROUP_FULL' });
    expect(rows('group_members', grp.id, 'AND pending <> 0')).toBe(REQUESTS);
    await expect(owner.g.approve(grp.id, late.id)).rejects.toMatchObject({ status: 404, errorCode: 'REQUEST_NOT_FOUND' });

    // Owner + 2 approved = 3 members: the third request cannot be approved and stays pending.
    await owner.g.approve(grp.id, asking[0]!.id);
    await owner.g.approve(grp.id, asking[1]!.id);
    await expect(owner.g.approve(grp.id, asking[2]!.id)).rejects.toMatchObject({ status: 409, errorCode: 'GROUP_FULL' });
    await expect(asking[2]!.g.role(grp.id)).rejects.toMatchObject({ status: 403 });
    expect(rows('group_members', grp.id, 'AND pending = 0')).toBe(MEMBERS);
    expect(rows('group_members', grp.id, 'AND pending <> 0')).toBe(1);

    // A place frees up when someone leaves.
    await asking[0]!.g.leave(grp.id);
    expect(await owner.g.approve(grp.id, asking[2]!.id)).toEqual({ status: 'approved' });
    expect(await asking[2]!.g.role(grp.id)).toEqual({ role: 'member' });
  });
});

describe('channels per group (max_group_channels = 2, #general included)', () => {
  test('the third channel is 409 TOO_MANY_CHANNELS and is not created', async () => {
    const owner = user();
    const grp = await groupOf(owner);
    expect(await owner.g.createChannel(grp.id, 'second')).toMatchObject({ status: 'created' });
    await expect(owner.g.createChannel(grp.id, 'third')).rejects.toMatchObject({ status: 409, errorCode: 'TOO_MANY_CHANNELS' });
    expect((await owner.g.listChannels(grp.id)).channels.map((c) => c.name)).toEqual(['general', 'second']);
    expect(count('SELECT count(*) AS n FROM channels WHERE group_id = ?', grp.id)).toBe(CHANNELS);
    // Deleting one makes room again.
    const second = (await owner.g.listChannels(grp.id)).channels[1]!.id;
    await owner.g.deleteChannel(second);
    expect(await owner.g.createChannel(grp.id, 'third')).toMatchObject({ status: 'created' });
  });
});

describe('messages per fetch (max_group_fetch = 50)', () => {
  test('a limit above max_group_fetch is 400 LIMIT_TOO_LARGE, in the body or the query', async () => {
    const owner = user();
    const grp = await groupOf(owner);
    await owner.g.send(grp.id, grp.general, grp.key, 1, 'one');
    expect((await owner.g.fetch(grp.id, grp.general, { limit: FETCH })).messages).toHaveLength(1);
    await expect(owner.g.fetch(grp.id, grp.general, { limit: FETCH + 1 })).rejects.toMatchObject({ status: 400, errorCode: 'LIMIT_TOO_LARGE' });
    const token = await owner.token();
    const viaQuery = await call(kit.s.url, 'POST', '/groups/messages/fetch', {
      token,
      query: { user_id: owner.id, limit: String(FETCH + 1) },
      json: { group_id: grp.id, channel_id: grp.general },
    });
    expectError(viaQuery, 400, 'LIMIT_TOO_LARGE');
    expectError(
      await call(kit.s.url, 'POST', '/groups/messages/fetch', { token, json: { group_id: grp.id, channel_id: grp.general, limit: 0 } }),
      400,
      'VALIDATION_FAILED',
    );
  });
});

describe('group message size (max_message_size = 1024)', () => {
  test('a ciphertext one byte over is 413, a huge body too, and nothing is stored', async () => {
    const owner = user();
    const grp = await groupOf(owner);
    const ok = await owner.g.send(grp.id, grp.general, grp.key, 1, 'x'.repeat(MESSAGE - TAG));
    await expect(owner.g.send(grp.id, grp.general, grp.key, 1, 'y'.repeat(MESSAGE - TAG + 1))).rejects.toMatchObject({
      status: 413,
      errorCode: 'MESSAGE_TOO_LARGE',
    });
    await expect(owner.g.send(grp.id, grp.general, grp.key, 1, 'z'.repeat(200_000))).rejects.toMatchObject({ status: 413 });
    const { messages } = await owner.g.fetch(grp.id, grp.general);
    expect(messages.map((m) => m.id)).toEqual([ok.id]);
    expect(rows('group_messages', grp.id)).toBe(1);
  });
});

describe('group attachment size (group_attachment_max_size_bytes = 1024)', () => {
  const upload = async (u: User, groupId: string, body: Buffer | string, contentType?: string) => {
    const url = new URL('/groups/attachments/upload', kit.s.url);
    url.searchParams.set('group_id', groupId);
    url.searchParams.set('user_id', u.id);
    const headers: Record<string, string> = { authorization: `Bearer ${await u.token()}` };
    if (contentType !== undefined) headers['content-type'] = contentType;
    const response = await fetch(url, { method: 'POST', headers, body });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
  };

  test('over the limit is 413 as a raw body and as JSON {blob}; exactly the limit is stored', async () => {
    const owner = user();
    const grp = await groupOf(owner);
    const exact = randomBytes(FILE);
    const stored = await owner.g.upload(grp.id, exact);
    expect(stored.size).toBe(FILE);
    const before = groupFiles();
    expect(before).toEqual([`${stored.id}.bin`]);

    expectError(await upload(owner, grp.id, randomBytes(FILE + 1)), 413, 'ATTACHMENT_TOO_LARGE');
    expectError(await upload(owner, grp.id, randomBytes(FILE + 1), 'application/octet-stream'), 413, 'ATTACHMENT_TOO_LARGE');
    expectError(await upload(owner, grp.id, randomBytes(FILE * 50), 'application/octet-stream'), 413);
    const json = (bytes: Buffer) => JSON.stringify({ blob: bytes.toString('base64') });
    expectError(await upload(owner, grp.id, json(randomBytes(FILE + 1)), 'application/json'), 413, 'ATTACHMENT_TOO_LARGE');
    expectError(await upload(owner, grp.id, json(randomBytes(FILE * 50)), 'application/json'), 413);

    expect(groupFiles()).toEqual(before);
    expect(rows('group_attachments', grp.id)).toBe(1);
  });

  test('a huge Content-Length is refused with 413 before any body byte is sent', async () => {
    const owner = user();
    const grp = await groupOf(owner);
    const token = await owner.token();
    for (const contentType of ['Content-Type: application/octet-stream\r\n', 'Content-Type: application/json\r\n', '']) {
      const socket = await rawSocket(kit.s.url);
      try {
        const head =
          `POST /groups/attachments/upload?group_id=${grp.id}&user_id=${owner.id} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
          `Authorization: Bearer ${token}\r\n${contentType}Content-Length: ${2 * 1024 ** 3}\r\n\r\n`;
        const response = await rawExchange(socket, head, 3_000);
        expect(response.status, contentType).toBe(413);
        expect(JSON.parse(response.body)).toMatchObject({ error_code: 'BODY_TOO_LARGE' });
      } finally {
        socket.destroy();
      }
    }
    expect(rows('group_attachments', grp.id)).toBe(0);
  });
});
