import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startServer, type RunningServer } from '../support/test-server.js';
import { DesktopPerson } from './desktop-person.js';
import { requirePyNaCl } from './python.js';

type Person = Awaited<ReturnType<typeof DesktopPerson.start>>;
type Texts = Array<{ sender_id: string; text: string; timestamp: number }>;
type Channels = { channels: Array<{ id: string; name: string; type: string }> };

const available = requirePyNaCl();

/**
 * The whole life of a group, driven by the original desktop client's own calls (parameters where it
 * puts them, no tokens) against a compat server; each step asserts what the client reads back.
 */
describe.skipIf(!available)('the original desktop client runs a group end to end (compat mode)', () => {
  let s: RunningServer;
  let alice: Person; // creates and owns the group
  let bob: Person; // joins by invite code
  let carol: Person; // finds the group through public discovery
  let dave: Person; // asks to join a private group by id
  let groupId: string;
  let invite: string;
  let general: string;
  let random: string;

  beforeAll(async () => {
    s = await startServer({ security: 'compat' });
    [alice, bob, carol, dave] = (await Promise.all([0, 1, 2, 3].map(() => DesktopPerson.start(s.url)))) as [Person, Person, Person, Person];
  });
  afterAll(async () => {
    for (const p of [alice, bob, carol, dave]) p?.stop();
    await s?.stop();
  });

  test('create: the group, its invite code and the owner holding sealed key version 1', async () => {
    const created = await alice.ok<{ id: string; invite_code: string }>('create_group', { name: 'Team', is_public: false });
    expect(created).toEqual({ id: expect.stringMatching(/^[0-9a-f]{32}$/), invite_code: expect.any(String) });
    ({ id: groupId, invite_code: invite } = created);
    // create_group read its own entry back through /groups/members/keys (no user_id) and opened it.
    expect(await alice.ok('held_key', { group_id: groupId })).toBe(1);
    const keys = await alice.call<{ key_version: number; members: Array<{ user_id: string; role: string; key_version: number }> }>(
      'GET',
      '/groups/members/keys',
      { group_id: groupId },
    );
    expect(keys.key_version).toBe(1);
    expect(keys.members).toEqual([expect.objectContaining({ user_id: alice.key, role: 'owner', key_version: 1 })]);
  });

  test('list, info, role and channels read as the client reads them', async () => {
    const listed = await alice.call<{ groups: Array<Record<string, unknown>> }>('GET', '/groups/list', { user_id: alice.key });
    expect(listed.groups).toEqual([expect.objectContaining({ id: groupId, name: 'Team', is_public: false })]);
    const info = await alice.call('GET', '/groups/info', { group_id: groupId, user_id: alice.key });
    expect(info).toMatchObject({ name: 'Team', is_public: false, server_distribute: false, server_store_history: expect.any(Boolean) });
    expect(await alice.call('GET', '/groups/channels/role', { group_id: groupId, user_id: alice.key })).toEqual({ role: 'owner' });

    await alice.call('POST', '/groups/channels/create', { user_id: alice.key }, { group_id: groupId, name: 'random', type: 'text' });
    const { channels } = await alice.call<Channels>('GET', '/groups/channels/list', { group_id: groupId, user_id: alice.key });
    expect(channels.map((c) => c.name).sort()).toEqual(['general', 'random']);
    general = channels.find((c) => c.name === 'general')!.id;
    random = channels.find((c) => c.name === 'random')!.id;
  });

  test('join by invite code; the owner reconciles keys and the new member opens its own', async () => {
    const joined = await bob.ok<{ status: string; group_id: string }>('join_via_invite', { invite_code: invite });
    expect(joined).toMatchObject({ status: 'joined', group_id: groupId });
    expect(await bob.ok('held_key', { group_id: groupId })).toBeNull(); // nobody sealed it for bob yet
    expect(await alice.ok('reconcile', { group_id: groupId })).toBe(1);
    expect(await alice.ok('reconcile', { group_id: groupId })).toBe(0);
    expect(await bob.call('GET', '/groups/channels/role', { group_id: groupId, user_id: bob.key })).toEqual({ role: 'member' });
  });

  test('text in two channels arrives decrypted, each in its own channel', async () => {
    await bob.ok('send_text', { group_id: groupId, channel_id: general, text: 'hi from bob' });
    await alice.ok('send_text', { group_id: groupId, channel_id: random, text: 'random from alice ✓' });
    expect(await bob.ok('held_key', { group_id: groupId })).toBe(1);
    const inGeneral = await alice.ok<Texts>('fetch_texts', { group_id: groupId, channel_id: general, since: null });
    expect(inGeneral).toEqual([expect.objectContaining({ sender_id: bob.key, text: 'hi from bob' })]);
    const inRandom = await bob.ok<Texts>('fetch_texts', { group_id: groupId, channel_id: random, since: null });
    expect(inRandom).toEqual([expect.objectContaining({ sender_id: alice.key, text: 'random from alice ✓' })]);
    // The poller asks only for what is newer than the last timestamp it saw.
    expect(await bob.ok('fetch_texts', { group_id: groupId, channel_id: random, since: inRandom[0]!.timestamp })).toEqual([]);
  });

  test('a raw-body group attachment: uploaded, announced, downloaded byte for byte by another member', async () => {
    const bytes = randomBytes(50_000);
    const uploaded = await bob.ok<{ id: string; size: number }>('upload_file', {
      group_id: groupId,
      channel_id: general,
      name: 'photo.bin',
      data_b64: bytes.toString('base64'),
    });
    expect(uploaded).toMatchObject({ id: expect.any(String), size: bytes.length });
    const texts = await alice.ok<Texts>('fetch_texts', { group_id: groupId, channel_id: general, since: null });
    const envelope = JSON.parse(texts.at(-1)!.text.replace(/^ATTACH:/, '')) as { att_id: string; name: string };
    expect(envelope).toMatchObject({ att_id: uploaded.id, name: 'photo.bin' });
    expect(Buffer.from(await alice.ok<string>('download', { group_id: groupId, att_id: envelope.att_id }), 'base64').equals(bytes)).toBe(true);
    expect(await dave.run('download', { group_id: groupId, att_id: envelope.att_id })).toMatchObject({ ok: false, status: 403 });
  });

  test('attachment_meta as the original server took it (an object) comes back as _attachment_json text', async () => {
    const meta = { name: 'a.txt', size: 3, att_id: 'ab'.repeat(32), type: 'file' };
    const body = {
      group_id: groupId,
      channel_id: general,
      sender_id: bob.key,
      ciphertext: 'AAAA',
      nonce: randomBytes(12).toString('base64'),
      key_version: 1,
      attachment_meta: meta,
    };
    const sent = await bob.call<{ status: string; id: string }>('POST', '/groups/messages/send', undefined, body);
    expect(sent).toMatchObject({ status: 'ok', id: expect.anything() });
    const { messages } = await bob.call<{ messages: Array<{ id: unknown; _attachment_json: string }> }>(
      'POST',
      '/groups/messages/fetch',
      { user_id: bob.key },
      { group_id: groupId, channel_id: general, since: null, limit: 200 },
    );
    expect(JSON.parse(messages.find((m) => m.id === sent.id)!._attachment_json)).toEqual(meta);
  });

  test('channel rename and meta, as the channel settings dialog sends them', async () => {
    await alice.call('POST', '/groups/channels/rename', { user_id: alice.key }, { channel_id: random, name: 'off-topic' });
    await bob.call('POST', '/groups/channels/meta/set', { channel_id: random, user_id: bob.key }, { topic: 'anything', description: null });
    expect(await bob.call('GET', '/groups/channels/meta', { channel_id: random, user_id: bob.key })).toMatchObject({ topic: 'anything', description: null });
    const { channels } = await bob.call<Channels>('GET', '/groups/channels/list', { group_id: groupId, user_id: bob.key });
    expect(channels.map((c) => c.name).sort()).toEqual(['general', 'off-topic']);
  });

  test('rekey: a stale key version is refused (409), the member picks up the new key and is read', async () => {
    expect(await alice.ok('rekey_group', { group_id: groupId, members: [alice.key, bob.key] })).toBe(2);
    const stale = await bob.run('send_text', { group_id: groupId, channel_id: general, text: 'with the old key' });
    expect(stale).toMatchObject({ ok: false, status: 409 });
    expect(await bob.ok('pick_up_key', { group_id: groupId })).toBe(2);
    await bob.ok('send_text', { group_id: groupId, channel_id: general, text: 'with the new key' });
    const texts = await alice.ok<Texts>('fetch_texts', { group_id: groupId, channel_id: general, since: null });
    expect(texts.map((t) => t.text)).toEqual(['with the new key']); // the client shows only its current version
  });

  test("public: set with the client's is_public=True, discovered, joined with the discovered code; rotate invalidates the old code", async () => {
    expect(await alice.call('POST', '/groups/public/set', { group_id: groupId, user_id: alice.key, is_public: true })).toEqual({ is_public: true });
    const found = await carol.call<{ groups: Array<{ id: string; name: string; invite_code: string }> }>('GET', '/groups/discover', {
      limit: 50,
      query: 'Tea',
    });
    const entry = found.groups.find((g) => g.id === groupId);
    expect(entry).toMatchObject({ name: 'Team', invite_code: invite });
    expect(await carol.ok('join_via_invite', { invite_code: entry!.invite_code })).toMatchObject({ status: 'joined', group_id: groupId });

    const rotated = await alice.call<{ invite_code: string }>('POST', '/groups/invites/rotate', { group_id: groupId, user_id: alice.key });
    expect(rotated.invite_code).not.toBe(invite);
    expect(await dave.run('join_via_invite', { invite_code: invite })).toMatchObject({ ok: false, status: 404 });
  });

  test('a private group: a join request by id is pending until the owner approves it', async () => {
    await alice.call('POST', '/groups/public/set', { group_id: groupId, user_id: alice.key, is_public: false });
    expect(await dave.call('POST', '/groups/join', undefined, { user_id: dave.key, group_id: groupId })).toMatchObject({ status: 'pending' });
    expect(await dave.run('call', { method: 'GET', path: '/groups/channels/role', params: { group_id: groupId, user_id: dave.key } })).toMatchObject({
      ok: false,
      status: 403,
    });
    await alice.call('POST', '/groups/approve', undefined, { group_id: groupId, approve_user_id: dave.key, user_id: alice.key });
    expect(await dave.call('GET', '/groups/channels/role', { group_id: groupId, user_id: dave.key })).toEqual({ role: 'member' });
  });

  test('renames, settings flags, ban, ownership transfer, leave', async () => {
    expect(await alice.call('POST', '/groups/rename', undefined, { group_id: groupId, new_name: 'Team B', user_id: alice.key })).toMatchObject({
      status: 'renamed',
    });
    await alice.call('POST', '/groups/server_distribute/set', undefined, { group_id: groupId, user_id: alice.key, enabled: true });
    await alice.call('POST', '/groups/server_store_history/set', undefined, { group_id: groupId, user_id: alice.key, enabled: false });
    expect(await bob.call('GET', '/groups/info', { group_id: groupId, user_id: bob.key })).toMatchObject({
      name: 'Team B',
      server_distribute: true,
      server_store_history: false,
    });

    await alice.call('POST', '/groups/members/ban', { group_id: groupId, target_user_id: dave.key, user_id: alice.key });
    expect(await dave.call('GET', '/groups/list', { user_id: dave.key })).toEqual({ groups: [] });

    expect(await alice.call('POST', '/groups/members/transfer_owner', { group_id: groupId, user_id: alice.key }, { new_owner_user_id: bob.key })).toMatchObject(
      { status: 'transferred' },
    );
    expect(await bob.call('GET', '/groups/channels/role', { group_id: groupId, user_id: bob.key })).toEqual({ role: 'owner' });
    expect(await carol.call('POST', '/groups/leave', undefined, { group_id: groupId, user_id: carol.key })).toMatchObject({ status: 'left' });
    expect(await carol.call('GET', '/groups/list', { user_id: carol.key })).toEqual({ groups: [] });
  });

  test('delete a channel, then the group', async () => {
    await bob.call('POST', '/groups/channels/delete', { channel_id: random, user_id: bob.key });
    const { channels } = await bob.call<Channels>('GET', '/groups/channels/list', { group_id: groupId, user_id: bob.key });
    expect(channels.map((c) => c.name)).toEqual(['general']);
    expect(await bob.call('DELETE', '/groups/delete', { group_id: groupId, user_id: bob.key })).toEqual({ status: 'deleted' });
    expect(await bob.call('GET', '/groups/list', { user_id: bob.key })).toEqual({ groups: [] });
    expect(await alice.run('call', { method: 'GET', path: '/groups/members/keys', params: { group_id: groupId } })).toMatchObject({ ok: false, status: 404 });
  });
});

describe.skipIf(!available)('the same desktop group calls against a strict server', () => {
  let s: RunningServer;
  let alice: Person;
  beforeAll(async () => {
    s = await startServer();
    alice = await DesktopPerson.start(s.url);
  });
  afterAll(async () => {
    alice?.stop();
    await s?.stop();
  });

  test('are refused by design: an unauthenticated group call is 401 TOKEN_REQUIRED', async () => {
    expect(await alice.run('create_group', { name: 'Team', is_public: false })).toMatchObject({
      ok: false,
      status: 401,
      body: { error_code: 'TOKEN_REQUIRED' },
    });
    expect(await alice.run('call', { method: 'GET', path: '/groups/members/keys', params: { group_id: '0'.repeat(32) } })).toMatchObject({
      ok: false,
      status: 401,
    });
  });
});
