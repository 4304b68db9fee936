// GROUP_KEY_UPDATE server events after membership changes, at the plugin level: the chat routes on
// a bare Fastify app with real storage and a recording event sink in place of the durable queues.
import Fastify, { type FastifyInstance } from 'fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { openEmbeddedStorage } from '../../src/storage/sqlite/open-embedded-storage.js';
import type { Storage } from '../../src/storage/storage.js';
import { nowSeconds } from '../../src/core/clock.js';
import { createChatAuth } from '../../src/features/chat/chat-auth.js';
import type { ChatEventSink } from '../../src/features/chat/chat-event-sink.js';
import { registerChat } from '../../src/features/chat/register-chat.js';
import { installErrorHandler } from '../../src/http/error-handler.js';
import { createValidatorCompiler } from '../../src/http/validation.js';
import { call } from '../auth/api.js';
import { startOidcProvider, type OidcProvider } from '../support/oidc-provider.js';

interface Delivered {
  recipientId: string;
  eventType: string;
  metadata: Record<string, unknown>;
}

let app: FastifyInstance;
let url: string;
let storage: Storage;
let oidc: OidcProvider;
let dataDir: string;
const delivered: Delivered[] = [];
const failures: unknown[] = [];
/** Recipients whose queue refuses events (e.g. full). */
const refusing = new Set<string>();

const recorder: ChatEventSink = {
  async deliverServerEvent(recipientId, eventType, metadata) {
    if (refusing.has(recipientId)) throw new Error(`queue of ${recipientId} is full`);
    delivered.push({ recipientId, eventType, metadata });
  },
};

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'whispr-chat-events-'));
  storage = await openEmbeddedStorage(dataDir);
  oidc = await startOidcProvider();
  app = Fastify();
  app.setValidatorCompiler(createValidatorCompiler());
  installErrorHandler(app);
  const auth = createChatAuth({ ...oidc.settings, oidc_dev_tokens: false }, pino({ level: 'silent' }));
  await registerChat(app, {
    config: { max_group_members: 10 },
    auth,
    users: storage.chatUsers,
    groups: storage.chatGroups,
    events: recorder,
    now: nowSeconds,
    onError: (err) => failures.push(err),
  });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await app.close();
  await storage.close();
  await oidc.close();
  rmSync(dataDir, { recursive: true, force: true });
});
beforeEach(() => {
  delivered.length = 0;
  failures.length = 0;
  refusing.clear();
});

let serial = 0;
async function user(name: string): Promise<{ id: string; token: string }> {
  const sub = `${name}-${++serial}`;
  const token = await oidc.idToken(sub);
  expect((await call(url, 'POST', '/api/register', { json: { google_id_token: token, public_key: 'AAAA' } })).status).toBe(200);
  return { id: `user_${sub}`, token };
}

async function group(owner: { id: string; token: string }, members: string[]): Promise<string> {
  const groupId = `g-${++serial}`;
  expect((await call(url, 'POST', '/api/groups', { token: owner.token, query: { group_id: groupId, name: 'n' }, json: members })).status).toBe(200);
  return groupId;
}

const byRecipient = (events: Delivered[]) => [...events].sort((a, b) => a.recipientId.localeCompare(b.recipientId));

describe('GROUP_KEY_UPDATE', () => {
  test('after an add, every member (the new one included) gets the new key version', async () => {
    const [alice, bob, carol] = [await user('alice'), await user('bob'), await user('carol')];
    const groupId = await group(alice, [bob.id]);
    expect(delivered).toEqual([]); // creating a group announces nothing: key version 1 is the creator's

    const answer = await call(url, 'POST', `/api/groups/${groupId}/members`, { token: bob.token, query: { user_id: carol.id } });
    expect(answer.body).toEqual({ success: true, new_key_version: 2 });
    const metadata = { group_id: groupId, key_version: 2, reason: 'member_added', user_id: carol.id };
    expect(byRecipient(delivered)).toEqual(byRecipient([alice, bob, carol].map((u) => ({ recipientId: u.id, eventType: 'GROUP_KEY_UPDATE', metadata }))));
  });

  test('after a removal, the remaining members and the removed one are told', async () => {
    const [alice, bob, carol] = [await user('alice'), await user('bob'), await user('carol')];
    const groupId = await group(alice, [bob.id, carol.id]);
    await call(url, 'DELETE', `/api/groups/${groupId}/members/${bob.id}`, { token: carol.token });
    const metadata = { group_id: groupId, key_version: 2, reason: 'member_removed', user_id: bob.id };
    expect(byRecipient(delivered)).toEqual(byRecipient([alice, bob, carol].map((u) => ({ recipientId: u.id, eventType: 'GROUP_KEY_UPDATE', metadata }))));
  });

  test('a refused change announces nothing', async () => {
    const [alice, bob, mallory] = [await user('alice'), await user('bob'), await user('mallory')];
    const groupId = await group(alice, [bob.id]);
    expect((await call(url, 'POST', `/api/groups/${groupId}/members`, { token: alice.token, query: { user_id: bob.id } })).status).toBe(400);
    expect((await call(url, 'POST', `/api/groups/${groupId}/members`, { token: mallory.token, query: { user_id: mallory.id } })).status).toBe(403);
    expect((await call(url, 'DELETE', `/api/groups/${groupId}/members/${mallory.id}`, { token: alice.token })).status).toBe(400);
    expect(delivered).toEqual([]);
  });

  test('a recipient whose queue refuses the event does not undo the change or keep it from the others', async () => {
    const [alice, bob, carol] = [await user('alice'), await user('bob'), await user('carol')];
    const groupId = await group(alice, [bob.id]);
    refusing.add(bob.id);
    const answer = await call(url, 'POST', `/api/groups/${groupId}/members`, { token: alice.token, query: { user_id: carol.id } });
    expect(answer.body).toEqual({ success: true, new_key_version: 2 });
    expect(delivered.map((d) => d.recipientId).sort()).toEqual([alice.id, carol.id].sort());
    expect(failures).toHaveLength(1);
  });
});
