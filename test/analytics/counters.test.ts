/**
 * Analytics counters through real traffic (SDK over HTTP): exact figures, what the tables hold
 * (never a key or a sender/recipient pair), ANALYTICS_ENABLED=false storing nothing.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GroupClient, toBase64, toHex } from 'whispr-sdk';
import { startServer, type RunningServer } from '../support/test-server.js';
import {
  call,
  closeAndReadAnalytics,
  serverPerBlock,
  directTraffic,
  groupWithMessages,
  login,
  startAdminServer,
  type GroupTraffic,
  type Traffic,
} from '../admin/admin-kit.js';
import { PINNED_DAY, pinnedDay } from '../support/fake-date.js';

// Every count below is of one UTC day: the servers' clocks must not cross midnight meanwhile.
pinnedDay();

describe('counters after known traffic', () => {
  let srv: RunningServer;
  let token: string;
  let dm: Traffic;
  let group: GroupTraffic;
  let groupBytes = 0;
  const attachmentSizes = [1_000, 2_345];
  const groupFile = Buffer.alloc(777, 7);

  beforeAll(async () => {
    srv = await startAdminServer();
    // 7 direct messages from 3 senders (each also replayed once: replays are not messages).
    dm = await directTraffic(srv, [3, 2, 2]);
    for (const [i, size] of attachmentSizes.entries()) await dm.senders[0]!.uploadRaw(dm.recipient.address, Buffer.alloc(size, i + 1), `file-${i}.bin`);
    // One sender also writes 2 group messages: a fourth user, as a direct sender counts by the Ed25519 key
    // that signed (verified) and a group sender by the X25519 key its token proved.
    group = await groupWithMessages(dm.senders[1]!, 'counted', true, 2);
    await group.owner.upload(group.groupId, groupFile);
    const { messages } = await group.owner.fetch(group.groupId, group.channelId);
    groupBytes = messages.reduce((sum, m) => sum + Buffer.from(m.ciphertext, 'base64').length, 0);
    token = await login(srv.url);
  });
  afterAll(async () => {
    await srv?.stop();
  });

  test('overview: total_messages, active_users, groups_count, avg_messages_per_day are exact', async () => {
    const { status, body } = await call(srv.url, 'GET', '/api/stats/overview', { token });
    expect(status).toBe(200);
    expect(body).toEqual({ total_messages: 9, active_users: 4, groups_count: 1, avg_messages_per_day: 9, analytics_enabled: true });
  });

  test('messages: per day and per hour, direct and group, with ciphertext bytes', async () => {
    const { body } = await call(srv.url, 'GET', `/api/stats/messages?from=${PINNED_DAY}&to=${PINNED_DAY}`, { token });
    const expected = { messages: 7, message_bytes: dm.messageBytes, group_messages: 2, group_message_bytes: groupBytes };
    expect(body.days).toEqual([{ date: PINNED_DAY, ...expected }]);
    expect(body.hours.length).toBeGreaterThanOrEqual(1);
    const summed = body.hours.reduce(
      (acc: typeof expected, h: typeof expected & { date: string; hour: number }) => {
        expect(h.date).toBe(PINNED_DAY);
        expect(h.hour).toBeGreaterThanOrEqual(0);
        expect(h.hour).toBeLessThan(24);
        return {
          messages: acc.messages + h.messages,
          message_bytes: acc.message_bytes + h.message_bytes,
          group_messages: acc.group_messages + h.group_messages,
          group_message_bytes: acc.group_message_bytes + h.group_message_bytes,
        };
      },
      { messages: 0, message_bytes: 0, group_messages: 0, group_message_bytes: 0 },
    );
    expect(summed).toEqual(expected);
  });

  test('attachments and active users per day', async () => {
    const attachments = await call(srv.url, 'GET', `/api/stats/attachments?from=${PINNED_DAY}&to=${PINNED_DAY}`, { token });
    expect(attachments.body.days).toEqual([
      {
        date: PINNED_DAY,
        attachments: 2,
        attachment_bytes: attachmentSizes[0]! + attachmentSizes[1]!,
        group_attachments: 1,
        group_attachment_bytes: groupFile.length,
      },
    ]);
    const users = await call(srv.url, 'GET', '/api/stats/users', { token });
    expect(users.body.days).toHaveLength(30);
    expect(users.body.days.at(-1)).toEqual({ date: PINNED_DAY, active_users: 4 });
    expect(users.body.days.slice(0, -1).every((d: { active_users: number }) => d.active_users === 0)).toBe(true);
  });

  test('the analytics tables hold counts and 16-byte keyed hashes only: no key, no sender/recipient pair', async () => {
    const tables = await closeAndReadAnalytics(srv);
    expect(Object.keys(tables).sort()).toEqual(['analytics_active_days', 'analytics_active_hashes', 'analytics_counters', 'analytics_day_keys']);
    expect(tables.analytics_active_hashes).toHaveLength(4);
    expect(tables.analytics_day_keys).toEqual([{ day: PINNED_DAY, key: expect.any(Buffer) }]);
    for (const row of tables.analytics_active_hashes!) expect((row.hash as Buffer).length).toBe(16);
    for (const row of tables.analytics_counters!) expect(Object.keys(row).sort()).toEqual(['day', 'hour', 'metric', 'value']);

    const keys = [dm.recipient, ...dm.senders].flatMap((c) => [c.identity.encryption.publicKey, c.identity.signing.publicKey]);
    const needles = keys.flatMap((k) => [
      toHex(k),
      toBase64(k),
      createHash('sha256').update(k).digest('hex'),
      createHash('sha256').update(toHex(k)).digest('hex'),
    ]);
    const haystack = JSON.stringify(tables, (_k, v) => (v?.type === 'Buffer' ? Buffer.from(v.data).toString('hex') : v));
    for (const needle of needles) expect(haystack.toLowerCase()).not.toContain(needle.toLowerCase());
    for (const key of keys) {
      for (const rows of Object.values(tables)) {
        for (const row of rows)
          for (const value of Object.values(row)) if (Buffer.isBuffer(value)) expect(value.includes(Buffer.from(key.subarray(0, 8)))).toBe(false);
      }
    }
    // Nothing else names users either: every row is a day, an hour, a metric name, a count, a hash or today's key.
    expect(new Set(tables.analytics_counters!.map((r) => r.metric))).toEqual(
      new Set([
        'messages',
        'message_bytes',
        'group_messages',
        'group_message_bytes',
        'attachments',
        'attachment_bytes',
        'group_attachments',
        'group_attachment_bytes',
        'groups_created',
      ]),
    );
  });
});

describe('ANALYTICS_ENABLED=false', () => {
  test('collects nothing at all: the analytics tables stay empty after traffic', async () => {
    const srv = await startAdminServer({ analytics_enabled: false });
    try {
      const dm = await directTraffic(srv, [2, 1]);
      await dm.senders[0]!.uploadRaw(dm.recipient.address, Buffer.from('attachment bytes'), 'a.txt');
      const group = await groupWithMessages(dm.senders[1]!, 'uncounted', true, 2);
      const token = await login(srv.url);
      const overview = await call(srv.url, 'GET', '/api/stats/overview', { token });
      // Groups are counted from the groups themselves, not from analytics.
      expect(overview.body).toEqual({ total_messages: 0, active_users: 0, groups_count: 1, avg_messages_per_day: 0, analytics_enabled: false });
      expect((await call(srv.url, 'DELETE', `/api/groups/delete?group_id=${group.groupId}`, { token })).status).toBe(200);
      const tables = await closeAndReadAnalytics(srv);
      expect(Object.keys(tables)).toHaveLength(4);
      for (const [name, rows] of Object.entries(tables)) expect(rows, name).toEqual([]);
    } finally {
      await srv.stop();
    }
  });

  test('GET /public-key tells whether analytics is on, as the original did', async () => {
    const on = await startServer();
    const off = await startServer({ analytics_enabled: false });
    try {
      expect((await call(on.url, 'GET', '/public-key')).body).toEqual({ public_key: expect.stringMatching(/^[0-9a-f]{64}$/), analytics: true });
      expect((await call(off.url, 'GET', '/public-key')).body.analytics).toBe(false);
    } finally {
      await Promise.all([on.stop(), off.stop()]);
    }
  });

  test('the environment variable turns it off too', async () => {
    const { loadConfig } = await import('../../src/config/load-config.js');
    expect(loadConfig({ env: { ANALYTICS_ENABLED: 'false' }, file: undefined }).config.analytics_enabled).toBe(false);
    expect(loadConfig({ env: { WHISPR_ANALYTICS_ENABLED: '0' }, file: undefined }).config.analytics_enabled).toBe(false);
    expect(loadConfig({ env: {}, file: undefined }).config.analytics_enabled).toBe(true);
  });
});

describe('counting without the admin API', () => {
  const server = serverPerBlock(() => startServer());

  test('counters are kept (and flushed on close) even while the admin API is disabled', async () => {
    const dm = await directTraffic(server(), [1, 1]);
    const g = new GroupClient(dm.senders[0]!);
    await g.create('private one', false);
    const tables = await closeAndReadAnalytics(server());
    const sum = (metric: string) => tables.analytics_counters!.filter((r) => r.metric === metric).reduce((s, r) => s + (r.value as number), 0);
    expect([sum('messages'), sum('message_bytes'), sum('groups_created')]).toEqual([2, dm.messageBytes, 1]);
    expect(tables.analytics_active_hashes).toHaveLength(2);
  });
});
