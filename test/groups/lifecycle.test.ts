/**
 * The whole life of one group, strict mode, three users (owner A, B, C) through the SDK over real
 * HTTP and WebSockets: create, join (invite, request + approve), channels, key distribution,
 * messages both ways, live push, rekey/leave/ban key versions, invites, transfer, public discovery,
 * server flags, attachments, delete. The steps share state and run in order.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GroupClient, newGroupKey, type GroupMessageItem, type WhisprClient, text } from 'whispr-sdk';
import { startServer, type RunningServer } from '../support/test-server.js';
import { denied, expectError, listen, raw, recordErrorBodies, type Listener } from './group-kit.js';

let s: RunningServer;
let errors: ReturnType<typeof recordErrorBodies>;
let wa: WhisprClient, wb: WhisprClient, wc: WhisprClient;
let A: GroupClient, B: GroupClient, C: GroupClient;
let pushB: Listener, pushC: Listener;
const listeners: Listener[] = [];

let g = '';
let invite = '';
let general = '';
let key1: Uint8Array = new Uint8Array(0);
let key2: Uint8Array = new Uint8Array(0);
let attachment = '';
const name = `lifecycle-${Date.now()}`;

beforeAll(async () => {
  errors = recordErrorBodies();
  s = await startServer({ security: 'strict' });
  [wa, wb, wc] = [s.client(), s.client(), s.client()];
  [A, B, C] = [new GroupClient(wa), new GroupClient(wb), new GroupClient(wc)];
});
afterAll(async () => {
  for (const l of listeners) l.close();
  errors.restore();
  await s.stop();
});

const no = (call: Promise<unknown>, status: number, code: string) => denied(call, status, code, errors.last);
const isKeyVersion = (version: number, reason: string) => (f: { type: string; [k: string]: unknown }) =>
  f.type === 'group_key_version' && f.group_id === g && f.key_version === version && f.reason === reason;

describe('group lifecycle (strict mode)', () => {
  test('create: the owner gets a private group with #general at key version 1', async () => {
    ({ id: g, invite_code: invite } = await A.create(name));
    expect(g).toMatch(/^[0-9a-f]{32}$/);
    expect(invite).toMatch(/^[A-Za-z0-9_-]{11}$/);
    expect(await A.info(g)).toEqual({
      id: g,
      name,
      is_public: false,
      server_distribute: false,
      server_store_history: true,
      owner_id: wa.address,
      key_version: 1,
    });
    const { channels } = await A.listChannels(g);
    expect(channels).toEqual([{ id: expect.any(String), group_id: g, name: 'general', type: 'text', created_at: expect.any(Number) }]);
    general = channels[0]!.id;
    expect(await A.role(g)).toEqual({ role: 'owner' });
    expect((await A.list()).groups.map((x) => x.id)).toEqual([g]);
  });

  test('join: B by invite code; C asks by group id, is pending, and is approved through /members/approve', async () => {
    expect(await B.join({ invite_code: invite })).toEqual({ status: 'joined', group_id: g, key_version: 1 });
    expect(await B.join({ invite_code: invite })).toEqual({ status: 'already_member', group_id: g });
    expect(await C.join({ group_id: g })).toEqual({ status: 'pending', group_id: g });
    await no(C.info(g), 403, 'NOT_A_MEMBER');
    const approved = await raw(s.url, 'POST', '/groups/members/approve', {
      body: { group_id: g, approve_user_id: wc.address, user_id: wa.address },
      token: await wa.token(),
    });
    expect(approved).toEqual({ status: 200, body: { status: 'approved' } });
    expect(await C.role(g)).toEqual({ role: 'member' });
    expect((await B.memberKeys(g)).members.map((m) => [m.user_id, m.role]).sort()).toEqual(
      [
        [wa.address, 'owner'],
        [wb.address, 'member'],
        [wc.address, 'member'],
      ].sort(),
    );
  });

  test('channels: create, rename, list, filter by type, meta (JSON body) and role', async () => {
    const random = await A.createChannel(g, 'random');
    expect(random).toEqual({ status: 'created', channel_id: expect.stringMatching(/^[0-9a-f]{32}$/) });
    const voice = await A.createChannel(g, 'lounge', 'voice');
    expect(await A.renameChannel(random.channel_id, 'offtopic')).toEqual({ status: 'renamed' });
    expect((await C.listChannels(g)).channels.map((c) => [c.name, c.type])).toEqual([
      ['general', 'text'],
      ['offtopic', 'text'],
      ['lounge', 'voice'],
    ]);
    expect((await B.listChannels(g, 'voice')).channels.map((c) => c.id)).toEqual([voice.channel_id]);
    // The original client sends topic/description in the JSON body (the original server nulled them).
    expect(await B.setChannelMeta(general, { topic: 'Planning', description: 'Where we plan' })).toEqual({ status: 'ok' });
    expect(await C.channelMeta(general)).toEqual({ topic: 'Planning', description: 'Where we plan' });
    await A.setChannelMeta(general, { topic: 'Plans' });
    expect(await A.channelMeta(general)).toEqual({ topic: 'Plans', description: 'Where we plan' });
    expect(await B.role(g)).toEqual({ role: 'member' });
    expect(await A.deleteChannel(voice.channel_id)).toEqual({ status: 'deleted' });
    expect((await A.listChannels(g, 'voice')).channels).toEqual([]);
  });

  test('keys: the owner seals key v1 to every member and each member opens its own', async () => {
    key1 = newGroupKey();
    await A.distributeKey(g, key1, 1);
    const listed = await C.memberKeys(g);
    expect(listed).toMatchObject({ key_version: 1, server_distribute: false, server_store_history: true });
    expect(listed.members.every((m) => m.key_version === 1 && typeof m.encrypted_group_key === 'string')).toBe(true);
    for (const member of [A, B, C]) {
      const mine = await member.myKey(g);
      expect(mine.keyVersion).toBe(1);
      expect(Buffer.from(mine.key).equals(key1)).toBe(true);
    }
  });

  test('messages both ways, decrypted by every member, and pushed live to connected members', async () => {
    pushB = await listen(wb);
    pushC = await listen(wc);
    listeners.push(pushB, pushC);
    const sent = await A.send(g, general, key1, 1, 'hello from A');
    expect(sent).toEqual({ status: 'ok', id: expect.stringMatching(/^[0-9a-f]{32}$/), timestamp: expect.any(Number) });
    // Only a live push can bring it (one server sweeps nothing): the bound is generous, for a loaded machine.
    const pushed = await pushB.next((f) => f.type === 'group_message' && (f.message as GroupMessageItem | undefined)?.id === sent.id, 5_000);
    expect(pushed).toEqual({
      type: 'group_message',
      group_id: g,
      channel_id: general,
      message: {
        id: sent.id,
        sender_id: wa.address,
        ciphertext: expect.any(String),
        nonce: expect.any(String),
        _attachment_json: null,
        key_version: 1,
        timestamp: sent.timestamp,
      },
    });
    expect(B.decrypt(pushed.message as GroupMessageItem, key1)).toBe('hello from A');
    await pushC.next((f) => f.type === 'group_message' && (f.message as GroupMessageItem | undefined)?.id === sent.id, 1_000);

    await B.send(g, general, (await B.myKey(g)).key, 1, 'hello from B', '{"name":"x"}');
    for (const reader of [A, B, C]) {
      const page = await reader.fetch(g, general);
      expect(page.has_more).toBe(false);
      expect(page.messages.map((m) => [m.sender_id, reader.decrypt(m, key1), m._attachment_json])).toEqual([
        [wa.address, 'hello from A', null],
        [wb.address, 'hello from B', '{"name":"x"}'],
      ]);
    }
  });

  test('attachments: a member uploads, another member downloads', async () => {
    const up = await B.upload(g, Buffer.from('sealed file bytes'));
    expect(up).toEqual({ id: expect.stringMatching(/^[0-9a-f]{64}$/), size: 17 });
    attachment = up.id;
    expect(existsSync(join(s.dataDir, 'group-attachments', attachment.slice(0, 2), `${attachment}.bin`))).toBe(true);
    expect(text(await C.download(g, up.id))).toBe('sealed file bytes');
  });

  test('rekey: a stale send is 409, members hear the new version, sends work under the new key', async () => {
    expect(await A.rekey(g)).toEqual({ key_version: 2 });
    await no(B.send(g, general, key1, 1, 'stale'), 409, 'KEY_VERSION_MISMATCH');
    for (const push of [pushB, pushC]) await push.next(isKeyVersion(2, 'rekey'));
    // Until a key is distributed at v2 nobody has one there.
    expect((await B.memberKeys(g)).members.every((m) => m.encrypted_group_key === null)).toBe(true);
    key2 = newGroupKey();
    await A.distributeKey(g, key2, 2);
    const { key, keyVersion } = await B.myKey(g);
    expect(keyVersion).toBe(2);
    expect(Buffer.from(key).equals(key2)).toBe(true);
    await B.send(g, general, key, 2, 'after rekey');
    const { messages } = await C.fetch(g, general);
    expect(messages.map((m) => m.key_version)).toEqual([1, 1, 2]);
    expect(C.decrypt(messages[2]!, (await C.myKey(g)).key)).toBe('after rekey');
    expect(C.decrypt(messages[0]!, key1)).toBe('hello from A');
  });

  test('leave: the version moves forward and the leaver loses access', async () => {
    expect(await C.leave(g)).toEqual({ status: 'left', new_key_version: 3 });
    await pushB.next(isKeyVersion(3, 'leave'));
    await no(C.fetch(g, general), 403, 'NOT_A_MEMBER');
    expect((await A.info(g)).key_version).toBe(3);
    expect(await C.leave(g)).toEqual({ status: 'not_member' });
  });

  test('ban: the version moves forward and the banned user cannot rejoin', async () => {
    expect(await C.join({ group_id: g })).toEqual({ status: 'pending', group_id: g });
    expect(await A.approve(g, wc.address)).toEqual({ status: 'approved' });
    expect(await C.role(g)).toEqual({ role: 'member' });
    expect(await A.ban(g, wc.address)).toEqual({ status: 'banned', new_key_version: 4 });
    await pushB.next(isKeyVersion(4, 'ban'));
    await no(C.join({ invite_code: invite }), 403, 'BANNED');
    await no(C.join({ group_id: g }), 403, 'BANNED');
    await no(C.role(g), 403, 'NOT_A_MEMBER');
    expect((await A.memberKeys(g)).members.map((m) => m.user_id).sort()).toEqual([wa.address, wb.address].sort());
    // A send still needs the current version.
    await no(B.send(g, general, key2, 2, 'stale again'), 409, 'KEY_VERSION_MISMATCH');
  });

  test('invite rotation: the old code is 404, the new one works', async () => {
    const { invite_code: fresh } = await A.rotateInvite(g);
    expect(fresh).not.toBe(invite);
    await no(B.join({ invite_code: invite }), 404, 'INVALID_INVITE');
    expect(await B.join({ invite_code: fresh })).toEqual({ status: 'already_member', group_id: g });
    invite = fresh;
  });

  test('transfer: the client body form hands ownership to B; A becomes an admin', async () => {
    expect(await A.transferOwner(g, wb.address)).toEqual({ status: 'transferred', new_owner: wb.address });
    expect(await B.role(g)).toEqual({ role: 'owner' });
    expect(await A.role(g)).toEqual({ role: 'admin' });
    expect((await A.info(g)).owner_id).toBe(wb.address);
    expect(await A.rename(g, `${name}-renamed`)).toEqual({ status: 'renamed', name: `${name}-renamed` });
  });

  test('public: discover and info need no identity for public groups only', async () => {
    const discover = () => raw(s.url, 'GET', '/groups/discover', { query: { query: name } });
    const anonymousInfo = () => raw(s.url, 'GET', '/groups/info', { query: { group_id: g } });
    expect((await discover()).body).toEqual({ groups: [] });
    expectError(await anonymousInfo(), 403, 'NOT_A_MEMBER');

    expect(await B.setPublic(g, true)).toEqual({ is_public: true });
    expect(await discover()).toEqual({
      status: 200,
      body: {
        groups: [
          {
            id: g,
            name: `${name}-renamed`,
            server_distribute: false,
            server_store_history: true,
            owner_id: wb.address,
            invite_code: invite,
            key_version: 4,
            created_at: expect.any(Number),
          },
        ],
      },
    });
    expect(await anonymousInfo()).toEqual({ status: 200, body: expect.objectContaining({ id: g, is_public: true, owner_id: wb.address }) });
    expect((await C.discover(name)).groups.map((x) => x.id)).toEqual([g]);

    expect(await A.setPublic(g, false)).toEqual({ is_public: false });
    expectError(await anonymousInfo(), 403, 'NOT_A_MEMBER');
  });

  test('server_distribute / server_store_history: set in the query or the JSON body', async () => {
    const token = await wb.token();
    const viaQuery = (flag: string, enabled: string | number) =>
      raw(s.url, 'POST', `/groups/${flag}/set`, { query: { group_id: g, enabled, user_id: wb.address }, token });
    expect(await viaQuery('server_distribute', 'true')).toEqual({ status: 200, body: { server_distribute: true } });
    expect(await viaQuery('server_store_history', 0)).toEqual({ status: 200, body: { server_store_history: false } });
    expect(await A.info(g)).toMatchObject({ server_distribute: true, server_store_history: false });
    expect(await B.setServerFlag(g, 'server_distribute', false)).toEqual({ server_distribute: false });
    expect(await A.setServerFlag(g, 'server_store_history', true)).toEqual({ server_store_history: true });
    expect(await A.memberKeys(g)).toMatchObject({ server_distribute: false, server_store_history: true });
  });

  test('delete: the group, its channels, messages, keys and attachments are gone', async () => {
    const channelIds = (await A.listChannels(g)).channels.map((c) => c.id);
    const db = new Database(join(s.dataDir, 'whispr.sqlite'), { readonly: true });
    const tables = ['groups', 'channels', 'group_messages', 'group_members', 'group_member_keys', 'group_bans', 'group_attachments'];
    const rows = () =>
      Object.fromEntries(
        tables.map((table) => [
          table,
          (db.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${table === 'groups' ? 'id' : 'group_id'} = ?`).get(g) as { n: number }).n,
        ]),
      );
    // 2 channels; 3 messages; A and B; A's and B's keys at v2 (a newer key replaces the older ones,
    // C's went with C's ban); C's ban; 1 file.
    expect(rows()).toEqual({ groups: 1, channels: 2, group_messages: 3, group_members: 2, group_member_keys: 2, group_bans: 1, group_attachments: 1 });
    expect(await B.delete(g)).toEqual({ status: 'deleted' });
    await no(A.info(g), 404, 'GROUP_NOT_FOUND');
    await no(B.listChannels(g), 404, 'GROUP_NOT_FOUND');
    await no(B.fetch(g, general), 404, 'GROUP_NOT_FOUND');
    await no(B.send(g, general, key2, 4, 'x'), 404, 'GROUP_NOT_FOUND');
    await no(A.channelMeta(general), 404, 'CHANNEL_NOT_FOUND');
    await no(B.join({ invite_code: invite }), 404, 'INVALID_INVITE');
    expect((await A.list()).groups).toEqual([]);
    expect((await B.list()).groups).toEqual([]);
    // The file was held by this group only, so it is gone from disk too.
    expect(existsSync(join(s.dataDir, 'group-attachments', attachment.slice(0, 2), `${attachment}.bin`))).toBe(false);
    // Nothing of the group is left in storage.
    try {
      expect(rows()).toEqual(Object.fromEntries(tables.map((table) => [table, 0])));
      const inChannels = db.prepare(`SELECT count(*) AS n FROM group_messages WHERE channel_id IN (${channelIds.map(() => '?').join(',')})`).get(...channelIds);
      expect(inChannels).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });
});
