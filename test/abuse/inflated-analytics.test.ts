import { text } from 'whispr-sdk';
/**
 * Inflated analytics: a stranger with one signing key sends messages that each name a different
 * made-up `enc_pub` (which nothing signs). The admin's active users count that stranger once, by
 * the key that signed, and the bystander once; every message still reaches its recipient.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { call, login, startAdminServer } from '../admin/admin-kit.js';
import { pinnedDay } from '../support/fake-date.js';
import type { RunningServer } from '../support/test-server.js';

pinnedDay(); // one UTC day: active users are counted per day

const MADE_UP_KEYS = 8; // within the sender's default burst (max_messages_per_second = 10)

let srv: RunningServer;
beforeAll(async () => {
  srv = await startAdminServer(); // strict, analytics on, defaults otherwise
});
afterAll(() => srv.stop());

test('made-up enc_pub keys are not active users; the stranger counts once, the bystander once, and everything is delivered', async () => {
  const [stranger, bystander, recipient] = [srv.client(), srv.client(), srv.client()];
  for (let i = 0; i < MADE_UP_KEYS; i++) {
    const body = { ...stranger.buildSend(recipient.address, `probe ${i}`), enc_pub: randomBytes(32).toString('hex') };
    expect((await stranger.sendBody(body)).duplicate).toBeFalsy();
  }
  await bystander.send(recipient.address, 'hello');

  const inbox = await recipient.fetchInbox();
  expect(inbox).toHaveLength(MADE_UP_KEYS + 1);
  expect(text(recipient.open(inbox.at(-1)!).plaintext)).toBe('hello');

  const overview = await call(srv.url, 'GET', '/api/stats/overview', { token: await login(srv.url) });
  expect(overview.body).toMatchObject({ total_messages: MADE_UP_KEYS + 1, active_users: 2 });
});
