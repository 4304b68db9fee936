// Chat-app groups over real HTTP: the original's parameter placement (query + bare array body),
// membership rules, key_version moving forward on every change, and hostile input.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { call, expectError, type ApiResponse } from '../auth/api.js';
import { useChatServer, type ChatUser } from './chat-kit.js';

const MAX_MEMBERS = 5;
// Membership-change events are opt-in (off by default, as in the original); they are checked here.
const chat = useChatServer({ max_group_members: MAX_MEMBERS, chat_key_update_events: true });

let serial = 0;
const newGroupId = () => `grp-${++serial}-${Date.now()}`;

const create = (caller: ChatUser, groupId: string, memberIds: unknown, name = 'Team') =>
  chat.api('POST', '/api/groups', { token: caller.token, query: { group_id: groupId, name }, json: memberIds });
const addMember = (caller: ChatUser, groupId: string, userId: string) =>
  chat.api('POST', `/api/groups/${encodeURIComponent(groupId)}/members`, { token: caller.token, query: { user_id: userId } });
const removeMember = (caller: ChatUser, groupId: string, userId: string) =>
  chat.api('DELETE', `/api/groups/${encodeURIComponent(groupId)}/members/${encodeURIComponent(userId)}`, { token: caller.token });
const getGroup = (caller: ChatUser, groupId: string) => chat.api('GET', `/api/groups/${encodeURIComponent(groupId)}`, { token: caller.token });

const expectDenied = (answer: ApiResponse, status: number, code: string, detail: string) => {
  expectError(answer, status, code);
  expect(answer.body.detail).toBe(detail);
};

describe('a group from creation to its last change', () => {
  test('create, read, list, add, remove: key_version moves forward each time', async () => {
    const [alice, bob, carol] = [await chat.user('alice'), await chat.user('bob'), await chat.user('carol')];
    const groupId = newGroupId();

    const created = await create(alice, groupId, [bob.id], 'Project X');
    expect(created.status).toBe(200);
    expect(created.body).toEqual({
      group_id: groupId,
      name: 'Project X',
      creator_id: alice.id,
      member_ids: [bob.id, alice.id], // the creator is appended, as the original did
      key_version: 1,
      created_at: expect.stringMatching(/Z$/),
      updated_at: expect.stringMatching(/Z$/),
    });
    expect((await getGroup(bob, groupId)).body).toEqual(created.body);
    expect((await chat.api('GET', '/api/groups', { token: bob.token })).body).toEqual([created.body]);

    expect((await addMember(bob, groupId, carol.id)).body).toEqual({ success: true, new_key_version: 2 });
    expect((await getGroup(carol, groupId)).body).toMatchObject({ member_ids: [bob.id, alice.id, carol.id], key_version: 2 });

    expect((await removeMember(carol, groupId, alice.id)).body).toEqual({ success: true, new_key_version: 3 });
    expectDenied(await getGroup(alice, groupId), 403, 'NOT_GROUP_MEMBER', 'Not a member of this group');
    expect((await chat.api('GET', '/api/groups', { token: alice.token })).body).toEqual([]);

    // Leaving is removing oneself.
    expect((await removeMember(bob, groupId, bob.id)).body).toEqual({ success: true, new_key_version: 4 });
    const last = (await getGroup(carol, groupId)).body;
    expect(last).toMatchObject({ member_ids: [carol.id], key_version: 4, creator_id: alice.id });
    expect(Date.parse(last.updated_at)).toBeGreaterThanOrEqual(Date.parse(last.created_at));
  });

  test("GET /api/groups lists the caller's groups, oldest first", async () => {
    const [alice, bob] = [await chat.user('alice'), await chat.user('bob')];
    const [first, second, notHers] = [newGroupId(), newGroupId(), newGroupId()];
    await create(alice, first, []);
    await create(bob, second, [alice.id]);
    await create(bob, notHers, []);
    expect((await chat.api('GET', '/api/groups', { token: alice.token })).body.map((g: { group_id: string }) => g.group_id)).toEqual([first, second]);
  });

  test('concurrent changes each get their own key version', async () => {
    const owner = await chat.user('owner');
    const others = [await chat.user('a'), await chat.user('b'), await chat.user('c')];
    const groupId = newGroupId();
    await create(owner, groupId, []);
    const versions = (await Promise.all(others.map((u) => addMember(owner, groupId, u.id)))).map((a) => a.body.new_key_version);
    expect(versions.sort()).toEqual([2, 3, 4]);
    expect((await getGroup(owner, groupId)).body.key_version).toBe(4);
  });

  test('member_ids repeated in the body count once; the creator may list themself anywhere', async () => {
    const [alice, bob] = [await chat.user('alice'), await chat.user('bob')];
    const groupId = newGroupId();
    expect((await create(alice, groupId, [alice.id, bob.id, bob.id])).body.member_ids).toEqual([alice.id, bob.id]);
  });
});

describe('members are told through their durable event queues', () => {
  test('after an add and a removal, each member concerned has GROUP_KEY_UPDATE events queued', async () => {
    const [alice, bob, carol] = [await chat.user('alice'), await chat.user('bob'), await chat.user('carol')];
    const groupId = newGroupId();
    await create(alice, groupId, []);
    await addMember(alice, groupId, bob.id);
    await addMember(bob, groupId, carol.id);
    await removeMember(carol, groupId, alice.id);

    // Read from the queue table itself, so this checks what is stored for delivery, not a socket.
    const db = new Database(join(chat.srv.dataDir, 'whispr.sqlite'), { readonly: true, fileMustExist: true });
    const queued = (user: ChatUser) =>
      (db.prepare('SELECT body FROM user_queue_events WHERE recipient_id = ? ORDER BY seq').all(`chat:${user.id}`) as { body: string }[])
        .map((row) => JSON.parse(row.body) as { event_type: string; sender_id: unknown; metadata: object })
        .filter((event) => event.event_type === 'GROUP_KEY_UPDATE')
        .map((event) => ({ sender_id: event.sender_id, ...event.metadata }));
    const event = (key_version: number, reason: string, user: ChatUser) => ({ sender_id: null, group_id: groupId, key_version, reason, user_id: user.id });
    try {
      expect(queued(alice)).toEqual([event(2, 'member_added', bob), event(3, 'member_added', carol), event(4, 'member_removed', alice)]);
      expect(queued(bob)).toEqual([event(2, 'member_added', bob), event(3, 'member_added', carol), event(4, 'member_removed', alice)]);
      expect(queued(carol)).toEqual([event(3, 'member_added', carol), event(4, 'member_removed', alice)]);
    } finally {
      db.close();
    }
  });
});

describe('membership rules', () => {
  test('non-members get 403 on read, add and remove, also for a group that does not exist', async () => {
    const [alice, bob, mallory] = [await chat.user('alice'), await chat.user('bob'), await chat.user('mallory')];
    const groupId = newGroupId();
    await create(alice, groupId, [bob.id]);
    for (const [answer] of [
      [await getGroup(mallory, groupId)],
      [await addMember(mallory, groupId, mallory.id)],
      [await removeMember(mallory, groupId, bob.id)],
      [await getGroup(mallory, 'no-such-group')],
      [await addMember(mallory, 'no-such-group', mallory.id)],
      [await removeMember(mallory, 'no-such-group', mallory.id)],
      [await addMember(mallory, groupId, 'user_never_registered')],
    ]) {
      expectDenied(answer!, 403, 'NOT_GROUP_MEMBER', 'Not a member of this group');
    }
    expect((await getGroup(alice, groupId)).body).toMatchObject({ member_ids: [bob.id, alice.id], key_version: 1 });
  });

  test('adding a member twice, or removing a non-member, is 400 and leaves the key version', async () => {
    const [alice, bob, carol] = [await chat.user('alice'), await chat.user('bob'), await chat.user('carol')];
    const groupId = newGroupId();
    await create(alice, groupId, [bob.id]);
    expectDenied(await addMember(alice, groupId, bob.id), 400, 'ALREADY_MEMBER', 'Failed to add member');
    expectDenied(await removeMember(alice, groupId, carol.id), 400, 'NOT_IN_GROUP', 'Failed to remove member');
    expect((await getGroup(alice, groupId)).body.key_version).toBe(1);
  });

  test('a group id is taken once: 400 "Failed to create group"', async () => {
    const [alice, bob] = [await chat.user('alice'), await chat.user('bob')];
    const groupId = newGroupId();
    await create(alice, groupId, []);
    expectDenied(await create(bob, groupId, []), 400, 'GROUP_EXISTS', 'Failed to create group');
    expect((await getGroup(alice, groupId)).body.creator_id).toBe(alice.id);
  });

  test('members must be registered users', async () => {
    const alice = await chat.user('alice');
    const stranger = await chat.signIn('stranger'); // valid token, never registered
    const groupId = newGroupId();
    expectError(await create(alice, groupId, ['user_ghost']), 400, 'USER_NOT_REGISTERED');
    expectError(await create(stranger, newGroupId(), []), 400, 'USER_NOT_REGISTERED');
    expectError(await getGroup(alice, groupId), 403, 'NOT_GROUP_MEMBER'); // nothing was created
    await create(alice, groupId, []);
    expectError(await addMember(alice, groupId, 'user_ghost'), 400, 'USER_NOT_REGISTERED');
  });

  test('max_group_members caps creation (422 for a longer list) and adding (409 GROUP_FULL)', async () => {
    const users = [];
    for (let i = 0; i < MAX_MEMBERS + 1; i++) users.push(await chat.user(`m${i}`));
    const [creator, ...rest] = users as [ChatUser, ...ChatUser[]];
    expectError(await create(creator, newGroupId(), rest.map((u) => u.id).concat('user_x')), 422, 'VALIDATION_FAILED');
    // MAX_MEMBERS others plus the creator appended is one too many.
    expectError(
      await create(
        creator,
        newGroupId(),
        rest.map((u) => u.id),
      ),
      409,
      'GROUP_FULL',
    );

    const groupId = newGroupId();
    await create(
      creator,
      groupId,
      rest.slice(0, MAX_MEMBERS - 1).map((u) => u.id),
    );
    const full = await addMember(creator, groupId, rest[MAX_MEMBERS - 1]!.id);
    expectError(full, 409, 'GROUP_FULL');
    expect((await getGroup(creator, groupId)).body).toMatchObject({ key_version: 1 });
  });
});

describe('hostile input', () => {
  test('wrong placement, types and sizes are 422; lone surrogates 400; no token 401 first', async () => {
    const alice = await chat.user('alice');
    const groupId = newGroupId();
    await create(alice, groupId, []);
    const post = (query: Record<string, string>, options: { json?: unknown; raw?: string } = { json: [] }) =>
      chat.api('POST', '/api/groups', { token: alice.token, query, ...options });

    expectError(await post({ name: 'n' }), 422, 'VALIDATION_FAILED'); // group_id missing
    expectError(await post({ group_id: newGroupId() }), 422, 'VALIDATION_FAILED'); // name missing
    expectError(await post({ group_id: newGroupId(), name: '' }), 422, 'VALIDATION_FAILED');
    expectError(await post({ group_id: 'g'.repeat(101), name: 'n' }), 422, 'VALIDATION_FAILED');
    expectError(await post({ group_id: newGroupId(), name: 'n'.repeat(101) }), 422, 'VALIDATION_FAILED');
    for (const json of [{ member_ids: [] }, 'user_a', [1], [null], [[alice.id]], [''], null])
      expectError(await post({ group_id: newGroupId(), name: 'n' }, { json }), 422, 'VALIDATION_FAILED');
    expectError(await post({ group_id: newGroupId(), name: 'n' }, {}), 422, 'VALIDATION_FAILED'); // no body at all
    expectError(await post({ group_id: newGroupId(), name: 'n' }, { raw: '["\\ud83d"]' }), 400, 'INVALID_STRING');
    expectError(await post({ group_id: newGroupId(), name: 'n' }, { raw: '[' }), 400);
    // group_id and name belong in the query; in the body they are not read.
    expectError(
      await chat.api('POST', '/api/groups', { token: alice.token, json: { group_id: newGroupId(), name: 'n', member_ids: [] } }),
      422,
      'VALIDATION_FAILED',
    );

    expectError(await chat.api('POST', `/api/groups/${groupId}/members`, { token: alice.token }), 422, 'VALIDATION_FAILED'); // user_id missing
    expectError(await chat.api('POST', `/api/groups/${groupId}/members`, { token: alice.token, query: { user_id: '' } }), 422, 'VALIDATION_FAILED');
    expectError(
      await chat.api('POST', `/api/groups/${groupId}/members`, { token: alice.token, query: { user_id: 'u'.repeat(101) } }),
      422,
      'VALIDATION_FAILED',
    );
    expectError(await chat.api('POST', `/api/groups/${groupId}/members`, { token: alice.token, json: { user_id: alice.id } }), 422, 'VALIDATION_FAILED');
    expectError(await chat.api('GET', `/api/groups/${'g'.repeat(101)}`, { token: alice.token }), 404, 'NOT_FOUND');

    expectError(await chat.api('POST', '/api/groups', { query: { group_id: newGroupId(), name: 'n' }, json: 'not even an array' }), 401, 'TOKEN_REQUIRED');
    expectError(await chat.api('GET', '/api/groups'), 401, 'TOKEN_REQUIRED');
    expectError(await chat.api('DELETE', `/api/groups/${groupId}/members/${alice.id}`, { token: 'a.b.c' }), 401, 'TOKEN_INVALID');
    expect((await getGroup(alice, groupId)).body).toMatchObject({ member_ids: [alice.id], key_version: 1 });
  });

  test('odd ids: slashes, spaces, unicode and route-like names are plain ids; "." and ".." are refused', async () => {
    const alice = await chat.user('alice');
    for (const groupId of ['a/b', 'with space', 'ünïcödé-🙂', '...', '.a', 'public', 'delete']) {
      expect((await create(alice, groupId, [])).status, groupId).toBe(200);
      expect((await getGroup(alice, groupId)).body.group_id).toBe(groupId);
    }
    // Ids a URL path could never carry.
    for (const groupId of ['.', '..']) expectError(await create(alice, groupId, []), 422, 'VALIDATION_FAILED');
    // The admin API's routes beside them are not taken for group ids (it answers for itself: here, disabled).
    for (const [method, path] of [
      ['GET', '/api/groups/public/list'],
      ['DELETE', '/api/groups/delete'],
    ] as const) {
      const answer = await call(chat.srv.url, method, path, { token: alice.token, query: { group_id: 'delete' } });
      expect(answer.body.error_code, path).toMatch(/^ADMIN_/);
    }
  });
});
