/** The admin API over real traffic: public groups, group deletion, CSV export, system status, bad input. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WhisprError } from 'whispr-sdk';
import type { RunningServer } from '../support/test-server.js';
import { call, directTraffic, expectApiError, groupWithMessages, login, startAdminServer, type GroupTraffic } from './admin-kit.js';
import { PINNED_DAY, pinnedDay } from '../support/fake-date.js';

// The export counts per UTC day: the server's clock must not cross midnight meanwhile.
pinnedDay();
let srv: RunningServer;
let token: string;
let publicGroup: GroupTraffic;
let privateGroup: GroupTraffic;
let fileId = '';
let aliceAddress = '';

beforeAll(async () => {
  srv = await startAdminServer();
  token = await login(srv.url);
  const [alice, bob] = [srv.client(), srv.client()];
  aliceAddress = alice.address;
  publicGroup = await groupWithMessages(alice, 'Public lounge', true, 3);
  privateGroup = await groupWithMessages(bob, 'Private room', false, 1);
  fileId = (await publicGroup.owner.upload(publicGroup.groupId, Buffer.from('a shared file'))).id;
});
afterAll(async () => {
  await srv?.stop();
});

describe('groups', () => {
  test('GET /api/groups/public/list lists public groups only, in the /groups/discover shape', async () => {
    const { status, body } = await call(srv.url, 'GET', '/api/groups/public/list', { token });
    expect(status).toBe(200);
    expect(body.groups).toEqual([
      {
        id: publicGroup.groupId,
        name: 'Public lounge',
        owner_id: aliceAddress,
        invite_code: expect.any(String),
        key_version: 1,
        server_distribute: false,
        server_store_history: true,
        created_at: expect.any(Number),
      },
    ]);
    expect((await call(srv.url, 'GET', '/api/groups/public/list?query=lounge&limit=1', { token })).body.groups).toHaveLength(1);
    expect((await call(srv.url, 'GET', '/api/groups/public/list?query=nothing-like-it', { token })).body.groups).toEqual([]);
  });

  test('DELETE /api/groups/delete removes any group with its messages and files; the members then get 404', async () => {
    const before = (await call(srv.url, 'GET', '/api/stats/overview', { token })).body;
    expect(before.groups_count).toBe(2);
    const blob = join(srv.dataDir, 'group-attachments', fileId.slice(0, 2), `${fileId}.bin`);
    expect(existsSync(blob)).toBe(true);

    const deleted = await call(srv.url, 'DELETE', `/api/groups/delete?group_id=${privateGroup.groupId.toUpperCase()}`, { token });
    expect(deleted).toMatchObject({ status: 200, body: { status: 'deleted', group_id: privateGroup.groupId } });
    const again = await call(srv.url, 'DELETE', `/api/groups/delete?group_id=${publicGroup.groupId}`, { token });
    expect(again.status).toBe(200);

    for (const g of [privateGroup, publicGroup]) {
      const fetchErr = await g.owner.fetch(g.groupId, g.channelId).catch((e: unknown) => e);
      expect(fetchErr).toBeInstanceOf(WhisprError);
      expect([(fetchErr as WhisprError).status, (fetchErr as WhisprError).errorCode]).toEqual([404, 'GROUP_NOT_FOUND']);
    }
    expect(existsSync(blob)).toBe(false);
    expect((await call(srv.url, 'GET', '/api/groups/public/list', { token })).body.groups).toEqual([]);
    const after = (await call(srv.url, 'GET', '/api/stats/overview', { token })).body;
    expect(after.groups_count).toBe(0);
    // The messages were counted when sent; deleting the group does not uncount them.
    expect(after.total_messages).toBe(before.total_messages);
    const csv = (await call(srv.url, 'GET', `/api/stats/export.csv?from=${PINNED_DAY}`, { token })).text;
    expect(csv.split('\r\n')[1]!.split(',').slice(9, 11)).toEqual(['2', '2']); // groups_created, groups_deleted
  });

  test('deleting an unknown group is 404 GROUP_NOT_FOUND; a malformed or missing id is 400', async () => {
    expectApiError(await call(srv.url, 'DELETE', `/api/groups/delete?group_id=${'ab'.repeat(16)}`, { token }), 404, 'GROUP_NOT_FOUND');
    for (const query of ['', '?group_id=', '?group_id=xyz', `?group_id=${'a'.repeat(33)}`, '?group_id=../../etc']) {
      expectApiError(await call(srv.url, 'DELETE', `/api/groups/delete${query}`, { token }), 400, 'VALIDATION_FAILED');
    }
  });
});

describe('CSV export and range queries', () => {
  test('GET /api/stats/export.csv: text/csv, a header, one row per day of the range', async () => {
    const dm = await directTraffic(srv, [2, 1]);
    const start = '2030-03-02'; // two days before PINNED_DAY
    const answer = await call(srv.url, 'GET', `/api/stats/export.csv?from=${start}&to=${PINNED_DAY}`, { token });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(answer.headers.get('content-disposition')).toBe(`attachment; filename="whispr-stats-${start}-${PINNED_DAY}.csv"`);
    const lines = answer.text.split('\r\n');
    expect(lines.at(-1)).toBe('');
    expect(lines[0]).toBe(
      'date,messages,message_bytes,group_messages,group_message_bytes,attachments,attachment_bytes,group_attachments,group_attachment_bytes,groups_created,groups_deleted,active_users',
    );
    expect(lines.slice(1, -1).map((l) => l.split(',')[0])).toHaveLength(3);
    expect(lines[1]).toBe(`${start},0,0,0,0,0,0,0,0,0,0,0`);
    const row = Object.fromEntries(lines[0]!.split(',').map((name, i) => [name, lines[3]!.split(',')[i]]));
    expect(row).toMatchObject({
      date: PINNED_DAY,
      messages: '3',
      message_bytes: String(dm.messageBytes),
      group_messages: '4',
      groups_created: '2',
      groups_deleted: '2',
      active_users: '4',
    });
  });

  test.each([
    '/api/stats/export.csv?from=yesterday',
    '/api/stats/export.csv?from=2030-02-30',
    '/api/stats/messages?to=2030-13-01',
    '/api/stats/messages?from=2030-01-02&to=2030-01-01',
    '/api/stats/users?from=2020-01-01&to=2030-01-01',
    '/api/stats/attachments?from=2030-01-01&from=2030-01-02',
    '/api/groups/public/list?limit=0',
    '/api/groups/public/list?limit=abc',
    `/api/groups/public/list?query=${'q'.repeat(101)}`,
  ])('GET %s is 400 with the error shape', async (path) => {
    const answer = await call(srv.url, 'GET', path, { token });
    expect(answer.status, answer.text).toBe(400);
    expect(answer.body).toEqual({
      detail: expect.any(String),
      error_code: expect.stringMatching(/^(VALIDATION_FAILED|INVALID_DATE|INVALID_RANGE)$/),
      timestamp: expect.any(Number),
    });
  });
});

describe('system status', () => {
  test('GET /api/stats/system has what /health keeps private (queues, sockets by dialect, calls), storage size, uptime and version', async () => {
    const [system, health] = await Promise.all([call(srv.url, 'GET', '/api/stats/system', { token }), call(srv.url, 'GET', '/health')]);
    expect(system.status).toBe(200);
    const { storage_bytes, analytics_enabled, uptime_seconds } = system.body;
    expect(storage_bytes).toBeGreaterThan(10_000);
    expect(analytics_enabled).toBe(true);
    expect(uptime_seconds).toBeGreaterThanOrEqual(0);
    const private_ = [
      'queued_messages',
      'queued_user_events',
      'websocket_connections',
      'calls',
      'pending_challenges',
      'accounts',
      'account_connections',
      'rooms',
    ];
    for (const key of [...private_, 'active_connections', 'active_rooms', 'total_users', 'cleanup', 'version']) expect(system.body).toHaveProperty(key);
    for (const key of private_) expect(health.body).not.toHaveProperty(key);
    expect(system.body).toMatchObject({ active_rooms: health.body.active_rooms, total_users: health.body.total_users, version: health.body.version });
  });
});
