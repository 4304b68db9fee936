/**
 * U+0000 in any text a client sends (JSON strings and keys, query strings, path segments, WebSocket
 * frames) is 400 INVALID_STRING (an INVALID_STRING error frame on a socket), before anything is
 * stored, on SQLite and on PostgreSQL alike (PostgreSQL cannot store it in a text column and
 * answered 500). Other control characters are kept, on both.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Config } from '../../src/config/settings.js';
import { GroupClient } from 'whispr-sdk';
import { account, accountSocket, ask, LIFTED } from '../accounts/account-kit.js';
import { call, expectError, type CallOptions } from '../auth/api.js';
import { openCollecting, refusedStatus, wsUrl } from '../relay/helpers.js';
import { eventually } from '../support/eventually.js';
import { captureLog } from '../support/log-capture.js';
import { createTempSchema, type TempSchema } from '../support/pg-schema.js';
import { requirePostgres } from '../support/services.js';
import { startServer, type RunningServer } from '../support/test-server.js';

const postgresAvailable = await requirePostgres('test/abuse/nul-in-text.test.ts');
/** U+0000 as JSON writes it, for raw bodies and frames. */
const NUL = '\\u0000';

const drivers = [
  { storage: 'sqlite', available: true },
  { storage: 'postgres', available: postgresAvailable },
] as const;

describe.each(drivers)('storage=$storage', ({ storage, available }) => {
  const log = captureLog('warn');
  let schema: TempSchema | undefined;
  let srv: RunningServer;
  let owner: { token: string; groups: GroupClient };
  let group: { id: string; channel: string };
  const chatToken = 'dev_nul_tester';

  beforeAll(async () => {
    if (!available) return;
    const settings: Partial<Config> = { ...LIFTED, oidc_dev_tokens: true };
    if (storage === 'postgres') {
      schema = await createTempSchema();
      Object.assign(settings, { storage, database_url: schema.url() });
    }
    srv = await startServer(settings, { logger: log.logger });
    const client = srv.client();
    owner = { token: (await client.token()) as string, groups: new GroupClient(client) };
    const { id } = await owner.groups.create('before');
    group = { id, channel: (await owner.groups.listChannels(id)).channels[0]!.id };
    expect((await call(srv.url, 'POST', '/api/register', { token: chatToken, json: { google_id_token: chatToken, public_key: 'AAAA' } })).status).toBe(200);
  });
  afterAll(async () => {
    await srv?.stop();
    await schema?.drop();
    expect(log.errors()).toEqual([]);
  });

  const refused: Array<[string, string, string, () => CallOptions]> = [
    ['a group name', 'POST', '/groups/create', () => ({ token: owner.token, raw: `{"name":"a${NUL}b"}` })],
    ['a new group name', 'POST', '/groups/rename', () => ({ token: owner.token, raw: `{"group_id":"${group.id}","new_name":"${NUL}"}` })],
    ['a channel name', 'POST', '/groups/channels/create', () => ({ token: owner.token, raw: `{"group_id":"${group.id}","name":"x${NUL}"}` })],
    [
      'a channel topic (body)',
      'POST',
      '/groups/channels/meta/set',
      () => ({ token: owner.token, query: { channel_id: group.channel }, raw: `{"topic":"${NUL}"}` }),
    ],
    ['a channel topic (query)', 'POST', '/groups/channels/meta/set', () => ({ token: owner.token, query: { channel_id: group.channel, topic: 'a\u0000' } })],
    ['a JSON key', 'POST', '/groups/create', () => ({ token: owner.token, raw: `{"name":"ok","x${NUL}":1}` })],
    [
      'a chat-app display_name',
      'POST',
      '/api/register',
      () => ({ token: chatToken, raw: `{"google_id_token":"${chatToken}","public_key":"AAAA","display_name":"me${NUL}"}` }),
    ],
    ['a chat-app search', 'GET', '/api/users/search', () => ({ token: chatToken, query: { q: '\u0000' } })],
    ['a chat-app user id in the path', 'GET', '/api/users/user%00x/public-key', () => ({ token: chatToken })],
    ['a chat-app group name', 'POST', '/api/groups', () => ({ token: chatToken, query: { group_id: 'g1', name: 'n\u0000' }, json: [] })],
    [
      'a chat-app event type',
      'POST',
      '/api/events',
      () => ({ token: chatToken, raw: `{"recipient_id":"user_dev_nul_tester","event_type":"M${NUL}","encrypted_payload":"AAAA"}` }),
    ],
    ['an attachment name', 'POST', '/upload', () => ({ raw: `{"blob":"AAAA","name":"f${NUL}"}` })],
    ['an account phone_hash', 'POST', '/api/v1/register', () => ({ raw: `{"phone_hash":"${NUL}"}` })],
  ];

  test.runIf(available).each(refused)('U+0000 in %s is 400 INVALID_STRING', async (_name, method, path, options) => {
    expectError(await call(srv.url, method, path, options()), 400, 'INVALID_STRING');
  });

  test.runIf(available)('nothing refused was stored; other control characters are stored and read back as sent', async () => {
    expect((await owner.groups.info(group.id)).name).toBe('before');
    expect(await owner.groups.channelMeta(group.channel)).toEqual({ topic: null, description: null });
    expect((await owner.groups.list()).groups).toHaveLength(1);
    const { id } = await owner.groups.create('tab\there \u0001 and \u001f');
    expect((await owner.groups.info(id)).name).toBe('tab\there \u0001 and \u001f');
  });

  test.runIf(available)('the chat-app event socket: U+0000 in the user id of the path is 400', async () => {
    expect(await refusedStatus(wsUrl(srv.url, '/ws/user%00x?token=dev_x'))).toBe(400);
    // Not percent-encoding at all: a 400 too (INVALID_USER_ID), not a 404 as if no dialect owned /ws/{x}.
    expect(await refusedStatus(wsUrl(srv.url, '/ws/user%E0%A4x?token=dev_x'))).toBe(400);
  });

  test.runIf(available)('frames: U+0000 in an ACK event_id or an account message recipient is an INVALID_STRING error frame', async () => {
    const { ws, frames } = await openCollecting(wsUrl(srv.url, `/ws/user_${chatToken}?token=${chatToken}`));
    try {
      ws.send(`{"type":"ACK","event_id":"e${NUL}"}`);
      await eventually(() => frames.length === 1);
      expect(frames[0]).toMatchObject({ type: 'error', error_code: 'INVALID_STRING' });
    } finally {
      ws.terminate();
    }
    const alice = await account(srv);
    const socket = await accountSocket(srv, await alice.accessToken());
    try {
      expect(await ask(socket, `{"type":"encrypted_message","recipient_id":"${NUL}","payload":"AAAA"}`)).toMatchObject({
        type: 'error',
        error_code: 'INVALID_STRING',
      });
    } finally {
      socket.ws.terminate();
    }
  });
});
