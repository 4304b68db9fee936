/** Cleanup of expired pending messages, claimed prekeys and login nonces; the health documents. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ADMIN_SETTINGS, adminStatus } from '../admin/admin-kit.js';
import { startServer, type RunningServer } from '../support/test-server.js';
import { account, ask, call, connectAs, LIFTED, openDb, roundTrip } from './account-kit.js';

const METRICS_TOKEN = 'metrics-token-for-the-account-tests';
const QUIET = { ...LIFTED, ...ADMIN_SETTINGS, cleanup_interval_seconds: 86_400, metrics_token: METRICS_TOKEN };

interface JobStatus {
  runs: number;
  removed: number;
  last_run_at: number | null;
  last_error: string | null;
}

/** The server's status, with its cleanup jobs (the admin API: /health keeps these private). */
const status = async (srv: RunningServer) => (await adminStatus(srv)) as Record<string, unknown> & { cleanup: Record<string, JobStatus> };

async function metric(srv: RunningServer, name: string, job: string): Promise<number> {
  const text = await (await fetch(new URL('/metrics', srv.url), { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`job="${job}"`));
  return line === undefined ? Number.NaN : Number(line.split(' ').pop());
}

describe('pending messages past pending_message_ttl_seconds', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer({ ...QUIET, pending_message_ttl_seconds: 60 });
  });
  afterAll(() => srv.stop());

  test('are stored with that expiry, never delivered once expired, and removed by the user_queues job', async () => {
    const [alice, bob] = [await account(srv), await account(srv)];
    const sa = await connectAs(srv, alice);
    const expired = await ask(sa, { type: 'encrypted_message', recipient_id: bob.userId, payload: 'b2xk' });
    const kept = await ask(sa, { type: 'encrypted_message', recipient_id: bob.userId, payload: 'bmV3' });
    const before = (await status(srv)).cleanup.user_queues as JobStatus;
    const metricBefore = await metric(srv, 'whispr_cleanup_removed_total', 'user_queues');

    const db = openDb(srv.config.data_dir);
    try {
      const rows = db
        .prepare('SELECT event_id, created_at, expires_at FROM user_queue_events WHERE recipient_id = ? ORDER BY seq')
        .all(`pc:${bob.userId}`) as Array<{
        event_id: string;
        created_at: number;
        expires_at: number;
      }>;
      expect(rows.map((r) => r.event_id)).toEqual([expired.message_id, kept.message_id]);
      for (const r of rows) expect(r.expires_at - r.created_at).toBeCloseTo(60, 3);
      db.prepare('UPDATE user_queue_events SET expires_at = ? WHERE event_id = ?').run(Date.now() / 1000 - 1, expired.message_id);

      await srv.server.runCleanup();
      const after = (await status(srv)).cleanup.user_queues as JobStatus;
      expect(after.runs).toBe(before.runs + 1);
      expect(after.removed).toBe(before.removed + 1);
      expect(after.last_error).toBeNull();
      expect(after.last_run_at).toBeGreaterThan(Date.now() / 1000 - 10);
      expect(await metric(srv, 'whispr_cleanup_removed_total', 'user_queues')).toBe(metricBefore + 1);
      expect(db.prepare('SELECT event_id FROM user_queue_events WHERE recipient_id = ?').all(`pc:${bob.userId}`)).toEqual([{ event_id: kept.message_id }]);
    } finally {
      db.close();
    }

    const sb = await connectAs(srv, bob);
    await sb.next((f) => f.message_id === kept.message_id);
    await roundTrip(sb);
    expect(sb.frames.filter((f) => f.type === 'encrypted_message').map((f) => f.payload)).toEqual(['bmV3']);
    sa.ws.close();
    sb.ws.close();
  });

  test('an expired message is not delivered even before the cleanup ran', async () => {
    const [alice, bob] = [await account(srv), await account(srv)];
    const sa = await connectAs(srv, alice);
    const expired = await ask(sa, { type: 'encrypted_message', recipient_id: bob.userId, payload: 'b2xk' });
    const db = openDb(srv.config.data_dir);
    try {
      db.prepare('UPDATE user_queue_events SET expires_at = ? WHERE event_id = ?').run(Date.now() / 1000 - 1, expired.message_id);
    } finally {
      db.close();
    }
    const sb = await connectAs(srv, bob);
    const marker = await ask(sa, { type: 'encrypted_message', recipient_id: bob.userId, payload: 'bWFya2Vy' });
    await sb.next((f) => f.message_id === marker.message_id);
    expect(sb.frames.filter((f) => f.type === 'encrypted_message').map((f) => f.message_id)).toEqual([marker.message_id]);
    sa.ws.close();
    sb.ws.close();
  });
});

describe('claimed one-time prekeys and login nonces', () => {
  test('with used_prekey_retention_seconds 0 the claimed prekeys are deleted; unused ones and the count stay', async () => {
    const srv = await startServer({ ...QUIET, used_prekey_retention_seconds: 0 });
    try {
      const owner = await account(srv, 3);
      const other = await account(srv, 1);
      await other.bundle(owner.phoneHash);
      await other.bundle(owner.phoneHash);
      expect(await owner.remainingPrekeys()).toBe(1);
      const before = (await status(srv)).cleanup.prekeys as JobStatus;

      await srv.server.runCleanup();

      expect(await owner.remainingPrekeys()).toBe(1);
      const after = (await status(srv)).cleanup.prekeys as JobStatus;
      expect(after.runs).toBe(before.runs + 1);
      expect(after.removed).toBe(before.removed + 2);
      expect(await metric(srv, 'whispr_cleanup_removed_total', 'prekeys')).toBe(after.removed);
      expect(await metric(srv, 'whispr_cleanup_runs_total', 'prekeys')).toBe(after.runs);
      const db = openDb(srv.config.data_dir);
      try {
        const rows = db.prepare('SELECT key_id, used_at FROM one_time_prekeys WHERE user_id = ?').all(owner.userId);
        expect(rows).toEqual([{ key_id: 3, used_at: null }]);
      } finally {
        db.close();
      }
      // The last one is still handed out, then none.
      expect((await other.bundle(owner.phoneHash)).one_time_prekey?.key_id).toBe(3);
      expect((await other.bundle(owner.phoneHash)).one_time_prekey).toBeNull();
    } finally {
      await srv.stop();
    }
  });

  test('with the default retention claimed prekeys are kept by the cleanup', async () => {
    const srv = await startServer({ ...QUIET });
    try {
      const owner = await account(srv, 2);
      await owner.bundle(owner.phoneHash);
      await srv.server.runCleanup();
      const db = openDb(srv.config.data_dir);
      try {
        const rows = db.prepare('SELECT key_id, used_at IS NOT NULL AS used FROM one_time_prekeys WHERE user_id = ? ORDER BY key_id').all(owner.userId);
        expect(rows).toEqual([
          { key_id: 1, used: 1 },
          { key_id: 2, used: 0 },
        ]);
      } finally {
        db.close();
      }
      expect(((await status(srv)).cleanup.prekeys as JobStatus).removed).toBe(0);
    } finally {
      await srv.stop();
    }
  });

  test('expired login nonces are deleted, unexpired ones kept', async () => {
    const srv = await startServer({ ...QUIET });
    try {
      const owner = await account(srv, 1);
      const hash = owner.phoneHash;
      const stale = (await call(srv.url, 'POST', '/api/v1/auth/challenge', { json: { phone_hash: hash } })).body.nonce as string;
      const fresh = (await call(srv.url, 'POST', '/api/v1/auth/challenge', { json: { phone_hash: hash } })).body.nonce as string;
      const db = openDb(srv.config.data_dir);
      try {
        db.prepare('UPDATE account_auth_nonces SET expires_at = ? WHERE nonce = ?').run(Date.now() / 1000 - 1, stale);
        await srv.server.runCleanup();
        const left = (db.prepare('SELECT nonce FROM account_auth_nonces WHERE phone_hash = ?').all(hash) as Array<{ nonce: string }>).map((r) => r.nonce);
        expect(left).toContain(fresh);
        expect(left).not.toContain(stale);
      } finally {
        db.close();
      }
    } finally {
      await srv.stop();
    }
  });
});

describe('health documents', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer({ ...QUIET });
  });
  afterAll(() => srv.stop());

  test('GET /health/ answers the private-comm shape', async () => {
    const before = Date.now();
    const res = await fetch(new URL('/health/', srv.url));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { timestamp: string };
    expect(body).toEqual({
      status: 'healthy',
      timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/),
      services: { database: 'connected' },
    });
    expect(Math.abs(Date.parse(body.timestamp) - before)).toBeLessThan(5_000);
  });

  test('the admin status carries the account figures and both account cleanup jobs; /health does not', async () => {
    const doc = await status(srv);
    expect(await (await fetch(new URL('/health', srv.url))).json()).not.toHaveProperty('accounts');
    expect(doc).toMatchObject({
      status: 'ok',
      accounts: expect.any(Number),
      account_connections: expect.any(Number),
      queued_user_events: expect.any(Number),
      websocket_connections: expect.objectContaining({ account: expect.any(Number) }),
    });
    const job = { runs: expect.any(Number), removed: expect.any(Number), last_run_at: null, last_error: null };
    expect(doc.cleanup).toMatchObject({ user_queues: job, prekeys: job });

    const before = doc.accounts as number;
    const alice = await account(srv);
    const socket = await connectAs(srv, alice);
    const during = await status(srv);
    expect(during.accounts).toBe(before + 1);
    expect(during.account_connections).toBe((doc.account_connections as number) + 1);
    expect((during.websocket_connections as Record<string, number>).account).toBe((doc.websocket_connections as Record<string, number>).account! + 1);
    socket.ws.close();
  });
});
