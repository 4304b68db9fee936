/** Event TTL: expired events are never delivered, the cleanup job deletes them, and the admin sweep needs an admin token. */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ADMIN_PASSWORD, ADMIN_SETTINGS, ADMIN_USER } from '../admin/admin-kit.js';
import { statusFigures } from '../support/server-status.js';
import { message, payloadText, useEventServer } from './event-kit.js';

const kit = useEventServer(ADMIN_SETTINGS);

/** Moves every queued event of `recipient` past its expiry, as if event_ttl_days had gone by. */
function expireEventsOf(recipientId: string): void {
  const db = new Database(join(kit.srv.dataDir, 'whispr.sqlite'));
  try {
    db.prepare('UPDATE user_queue_events SET expires_at = 1 WHERE recipient_id = ?').run(`chat:${recipientId}`);
  } finally {
    db.close();
  }
}

async function adminToken(): Promise<string> {
  const response = await fetch(`${kit.srv.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: ADMIN_USER, password: ADMIN_PASSWORD }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

const cleanup = (token?: string) =>
  fetch(`${kit.srv.url}/api/admin/cleanup-expired-events`, { method: 'POST', headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

describe('event expiry', () => {
  test('events are stored with event_ttl_days and an expired one is never delivered', async () => {
    const [alice, bob] = [await kit.user(), await kit.user()];
    await alice.events.post(message(alice, bob, 'stale'));
    expireEventsOf(bob.id);
    await alice.events.post(message(alice, bob, 'fresh'));
    const socket = await kit.socket(bob);
    const [event] = await socket.waitEvents(1);
    expect((await socket.upToMarker(alice)).map(payloadText)).toEqual(['fresh', 'marker']);
    const db = new Database(join(kit.srv.dataDir, 'whispr.sqlite'), { readonly: true });
    const row = db.prepare('SELECT created_at, expires_at FROM user_queue_events WHERE event_id = ?').get(event!.event_id) as {
      created_at: number;
      expires_at: number;
    };
    db.close();
    expect(row.expires_at - row.created_at).toBeCloseTo(14 * 86_400, 3);
  });

  test('the cleanup job deletes expired events without anyone asking', async () => {
    const [alice, bob] = [await kit.user(), await kit.user()];
    await alice.events.post(message(alice, bob, 'old'));
    expireEventsOf(bob.id);
    const before = await statusFigures(kit.srv);
    await kit.srv.server.runCleanup();
    const after = await statusFigures(kit.srv);
    const removed = after['cleanup.user_queues.removed']! - before['cleanup.user_queues.removed']!;
    expect(removed).toBeGreaterThanOrEqual(1);
    expect(after.queued_user_events).toBe(before.queued_user_events! - removed);
    expect(after['cleanup.user_queues.runs']).toBe(before['cleanup.user_queues.runs']! + 1);
    // Nothing of bob's is left to deliver.
    const socket = await kit.socket(bob);
    expect((await socket.upToMarker(alice)).map(payloadText)).toEqual(['marker']);
  });

  test('POST /api/admin/cleanup-expired-events: 401 without an admin token (also with a user ID token), counts with one', async () => {
    const [alice, bob] = [await kit.user(), await kit.user()];
    await alice.events.post(message(alice, bob, 'one'));
    await alice.events.post(message(alice, bob, 'two'));
    expireEventsOf(bob.id);
    expect((await cleanup()).status).toBe(401);
    expect((await cleanup(alice.token)).status).toBe(401);
    const answer = await cleanup(await adminToken());
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ deleted_count: 2 });
    expect(await (await cleanup(await adminToken())).json()).toEqual({ deleted_count: 0 });
  });
});
