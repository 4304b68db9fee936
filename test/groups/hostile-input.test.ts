// Hostile input on the /groups routes: broken JSON, wrong types, Infinity, lone surrogates, bad ids,
// missing fields, wrong upload encodings. Each is a 4xx with {detail, error_code, timestamp}, nothing
// is created, and nothing is ever a 5xx. Raw fetch with a real token (strict mode).
import Database from 'better-sqlite3';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GroupClient, newGroupKey, text } from 'whispr-sdk';
import { call, expectError, type ApiResponse, type CallOptions } from '../auth/api.js';
import { startServer, type RunningServer } from '../support/test-server.js';

let s: RunningServer;
let db: Database.Database;
let owner: { id: string; token: string; g: GroupClient };
let grp: { id: string; general: string; key: Uint8Array };
const statuses: number[] = [];

beforeAll(async () => {
  s = await startServer();
  db = new Database(join(s.dataDir, 'whispr.sqlite'), { readonly: true, fileMustExist: true });
  const client = s.client();
  owner = { id: client.address, token: (await client.token()) as string, g: new GroupClient(client) };
  const { id } = await owner.g.create('target');
  const key = newGroupKey();
  await owner.g.distributeKey(id, key, 1);
  grp = { id, general: (await owner.g.listChannels(id)).channels[0]!.id, key };
});
afterAll(async () => {
  db.close();
  await s.stop();
  // Whatever was sent, the server never answered with a 5xx.
  expect(statuses.length).toBeGreaterThan(40);
  expect(statuses.filter((st) => st >= 500)).toEqual([]);
});

const api = async (method: string, path: string, options: CallOptions = {}): Promise<ApiResponse> => {
  const res = await call(s.url, method, `/groups${path}`, { token: owner.token, ...options });
  statuses.push(res.status);
  return res;
};
const rejected = async (method: string, path: string, options: CallOptions, status = 400, code?: string) =>
  expectError(await api(method, path, options), status, code);

/** Row counts of every group table: a refused request must leave them as they were. */
const snapshot = () =>
  Object.fromEntries(
    ['groups', 'channels', 'group_members', 'group_member_keys', 'group_messages', 'group_attachments', 'group_bans'].map((t) => [
      t,
      (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n,
    ]),
  );
const groupFiles = () => {
  const root = join(s.dataDir, 'group-attachments');
  return existsSync(root) ? readdirSync(root, { recursive: true }).length : 0;
};

/** Runs `body` and checks that no group table changed and no file appeared. */
async function nothingCreated(body: () => Promise<void>) {
  const before = { rows: snapshot(), files: groupFiles(), groups: (await owner.g.list()).groups.length };
  await body();
  expect({ rows: snapshot(), files: groupFiles(), groups: (await owner.g.list()).groups.length }).toEqual(before);
}

const sendBody = () => ({
  group_id: grp.id,
  channel_id: grp.general,
  sender_id: owner.id,
  ciphertext: Buffer.alloc(32, 1).toString('base64'),
  nonce: Buffer.alloc(12).toString('base64'),
  key_version: 1,
});

describe('JSON bodies', () => {
  test('malformed JSON is 400 INVALID_JSON', async () => {
    await nothingCreated(async () => {
      for (const raw of ['{"name":', '{name: "x"}', '{"name":"x"}}', '', '\u0000']) await rejected('POST', '/create', { raw }, 400);
      await rejected('POST', '/create', { raw: '{"name":' }, 400, 'INVALID_JSON');
      await rejected('POST', '/messages/send', { raw: JSON.stringify(sendBody()).slice(0, -1) }, 400, 'INVALID_JSON');
      await rejected('POST', '/join', { raw: '[' }, 400, 'INVALID_JSON');
      // Not an object at all.
      for (const raw of ['[]', '"general"', '42']) await rejected('POST', '/create', { raw }, 400);
      await rejected('POST', '/create', { raw: `{"__proto__":{"admin":true},"name":"x","owner_id":"${owner.id}"}` }, 400);
    });
  });

  test('wrong types are 400 VALIDATION_FAILED, never coerced', async () => {
    await nothingCreated(async () => {
      await rejected('POST', '/join', { json: { group_id: 5, user_id: owner.id } }, 400, 'VALIDATION_FAILED');
      await rejected('POST', '/messages/send', { json: { ...sendBody(), key_version: '1' } }, 400, 'VALIDATION_FAILED');
      await rejected('POST', '/messages/send', { json: { ...sendBody(), key_version: 1.5 } }, 400, 'VALIDATION_FAILED');
      await rejected('POST', '/messages/send', { json: { ...sendBody(), ciphertext: ['a'] } }, 400, 'VALIDATION_FAILED');
      await rejected('POST', '/create', { json: { name: 'x', owner_id: owner.id, is_public: {} } }, 400, 'VALIDATION_FAILED');
      await rejected('POST', '/create', { json: { name: 5, owner_id: owner.id } }, 400, 'VALIDATION_FAILED');
      await rejected('POST', '/create', { json: { name: 'x', owner_id: 7 } }, 400, 'VALIDATION_FAILED');
      await rejected('POST', '/public/set', { json: { group_id: grp.id, is_public: 'maybe' } }, 400, 'VALIDATION_FAILED');
      await rejected('POST', '/messages/fetch', { json: { group_id: grp.id, channel_id: grp.general, since: 'yesterday' } }, 400, 'VALIDATION_FAILED');
      await rejected('POST', '/messages/fetch', { json: { group_id: grp.id, channel_id: grp.general, since: -1 } }, 400, 'VALIDATION_FAILED');
      await rejected('POST', '/messages/fetch', { json: { group_id: grp.id, channel_id: grp.general, limit: '10' } }, 400, 'VALIDATION_FAILED');
      await rejected('POST', '/channels/create', { json: { group_id: grp.id, name: 'x', type: 'Voice Chat!' } }, 400, 'VALIDATION_FAILED');
    });
    expect((await owner.g.info(grp.id)).is_public).toBe(false);
  });

  test('1e309 (Infinity once parsed) is 400', async () => {
    await nothingCreated(async () => {
      const infinite = JSON.stringify(sendBody()).replace('"key_version":1', '"key_version":1e309');
      expect(infinite).toContain('1e309');
      await rejected('POST', '/messages/send', { raw: infinite }, 400);
      await rejected(
        'POST',
        '/members/keys/update',
        { raw: `{"group_id":"${grp.id}","user_id":"${owner.id}","encrypted_key_b64":"AAAA","key_version":1e309}` },
        400,
      );
      await rejected('POST', '/messages/fetch', { raw: `{"group_id":"${grp.id}","channel_id":"${grp.general}","limit":1e309}` }, 400);
      await rejected('POST', '/messages/fetch', { raw: `{"group_id":"${grp.id}","channel_id":"${grp.general}","since":-1e309}` }, 400);
    });
  });

  test('a lone surrogate is 400 INVALID_STRING', async () => {
    await nothingCreated(async () => {
      await rejected('POST', '/create', { raw: `{"name":"\\ud800","owner_id":"${owner.id}"}` }, 400, 'INVALID_STRING');
      await rejected('POST', '/create', { raw: `{"name":"ok \\udfff","owner_id":"${owner.id}"}` }, 400, 'INVALID_STRING');
      await rejected('POST', '/rename', { raw: `{"group_id":"${grp.id}","new_name":"\\ud800x"}` }, 400, 'INVALID_STRING');
      await rejected('POST', '/channels/create', { raw: `{"group_id":"${grp.id}","name":"\\ud83d"}` }, 400, 'INVALID_STRING');
      await rejected('POST', '/channels/meta/set', { query: { channel_id: grp.general }, raw: '{"topic":"\\udc00"}' }, 400, 'INVALID_STRING');
    });
    expect((await owner.g.info(grp.id)).name).toBe('target');
    expect(await owner.g.channelMeta(grp.general)).toEqual({ topic: null, description: null });
  });

  test('ids that are not hex (or not the right length) are 400', async () => {
    await nothingCreated(async () => {
      const bad = ['z'.repeat(32), 'a'.repeat(31), 'a'.repeat(33), `${grp.id.slice(0, 31)}-`, '../../etc/passwd'];
      for (const id of bad) {
        await rejected('POST', '/join', { json: { group_id: id } }, 400, 'VALIDATION_FAILED');
        await rejected('GET', '/channels/list', { query: { group_id: id } }, 400, 'VALIDATION_FAILED');
        await rejected('POST', '/messages/fetch', { json: { group_id: grp.id, channel_id: id } }, 400, 'VALIDATION_FAILED');
        await rejected('POST', '/messages/send', { json: { ...sendBody(), channel_id: id } }, 400, 'VALIDATION_FAILED');
      }
      await rejected('POST', '/create', { json: { name: 'x', owner_id: 'g'.repeat(64) } }, 400, 'VALIDATION_FAILED');
      await rejected('GET', '/list', { query: { user_id: owner.id.slice(1) } }, 400, 'VALIDATION_FAILED');
      await rejected('POST', '/members/ban', { query: { group_id: grp.id, target_user_id: 'not-a-key' } }, 400, 'VALIDATION_FAILED');
    });
  });

  test('missing required fields are 400', async () => {
    await nothingCreated(async () => {
      await rejected('POST', '/create', { json: { owner_id: owner.id } }, 400, 'VALIDATION_FAILED');
      await rejected('POST', '/create', {}, 400, 'VALIDATION_FAILED');
      await rejected('POST', '/join', { json: {} }, 400, 'VALIDATION_FAILED');
      await rejected('POST', '/approve', { json: { group_id: grp.id } }, 400, 'VALIDATION_FAILED');
      await rejected('POST', '/rename', { json: { group_id: grp.id } }, 400, 'VALIDATION_FAILED');
      await rejected('POST', '/channels/create', { json: { group_id: grp.id } }, 400, 'VALIDATION_FAILED');
      await rejected('POST', '/channels/create', { json: { name: 'orphan' } }, 400, 'VALIDATION_FAILED');
      await rejected('POST', '/public/set', { json: { group_id: grp.id } }, 400, 'VALIDATION_FAILED');
      await rejected('POST', '/server_store_history/set', { json: { group_id: grp.id } }, 400, 'VALIDATION_FAILED');
      await rejected('POST', '/members/keys/update', { json: { group_id: grp.id, user_id: owner.id, key_version: 1 } }, 400, 'VALIDATION_FAILED');
      await rejected('POST', '/messages/fetch', { json: { group_id: grp.id } }, 400, 'VALIDATION_FAILED');
      await rejected('GET', '/info', {}, 400, 'VALIDATION_FAILED');
      await rejected('DELETE', '/delete', {}, 400, 'VALIDATION_FAILED');
      for (const field of ['group_id', 'channel_id', 'sender_id', 'ciphertext', 'nonce', 'key_version'] as const) {
        const body: Record<string, unknown> = sendBody();
        delete body[field];
        await rejected('POST', '/messages/send', { json: body }, 400, 'VALIDATION_FAILED');
      }
      await rejected('POST', '/messages/send', { json: { ...sendBody(), ciphertext: 'not base64!' } }, 400, 'INVALID_BASE64');
      await rejected('POST', '/messages/send', { json: { ...sendBody(), nonce: Buffer.alloc(5).toString('base64') } }, 400, 'INVALID_NONCE');
    });
  });

  test('a body that is not JSON is 415 (unknown type) or 400 (text, which is no object)', async () => {
    const post = async (contentType: string, body: string) => {
      const res = await fetch(new URL('/groups/create', s.url), {
        method: 'POST',
        headers: { authorization: `Bearer ${owner.token}`, 'content-type': contentType },
        body,
      });
      statuses.push(res.status);
      return { status: res.status, headers: res.headers, body: (await res.json()) as unknown };
    };
    await nothingCreated(async () => {
      expectError(await post('application/xml', '<name>x</name>'), 415, 'UNSUPPORTED_MEDIA_TYPE');
      expectError(await post('application/x-www-form-urlencoded', 'name=x'), 415, 'UNSUPPORTED_MEDIA_TYPE');
      expectError(await post('text/plain', `{"name":"x","owner_id":"${owner.id}"}`), 400, 'VALIDATION_FAILED');
    });
  });
});

describe('attachments', () => {
  const upload = async (body: RequestInit['body'], headers: Record<string, string> = {}) => {
    const url = new URL(`/groups/attachments/upload?group_id=${grp.id}&user_id=${owner.id}`, s.url);
    const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${owner.token}`, ...headers }, ...(body === undefined ? {} : { body }) });
    statuses.push(res.status);
    return { status: res.status, headers: res.headers, body: (await res.json()) as unknown };
  };

  test('a multipart upload is 415', async () => {
    await nothingCreated(async () => {
      const form = new FormData();
      form.append('file', new Blob([Buffer.from('multipart bytes')]), 'a.bin');
      expectError(await upload(form), 415, 'UNSUPPORTED_MEDIA_TYPE');
      form.append('upload_file', new Blob([Buffer.from('again')]), 'b.bin');
      expectError(await upload(form), 415, 'UNSUPPORTED_MEDIA_TYPE');
    });
  });

  test('an upload with no file is 400 NO_FILE', async () => {
    await nothingCreated(async () => {
      expectError(await upload(undefined), 400, 'NO_FILE');
      expectError(await upload(new Uint8Array(0), { 'content-type': 'application/octet-stream' }), 400, 'NO_FILE');
      expectError(await upload('{}', { 'content-type': 'application/json' }), 400, 'NO_FILE');
      expectError(await upload('{"name":"a.bin"}', { 'content-type': 'application/json' }), 400, 'NO_FILE');
      expectError(await upload('{"blob":5}', { 'content-type': 'application/json' }), 400, 'NO_FILE');
      expectError(await upload('{"blob":""}', { 'content-type': 'application/json' }), 400, 'NO_FILE');
      expectError(await upload('{"blob":"%%%"}', { 'content-type': 'application/json' }), 400, 'INVALID_BASE64');
      expectError(await upload('{"blob":', { 'content-type': 'application/json' }), 400, 'INVALID_JSON');
    });
  });

  test('attachment ids that are not 64 hex are 404', async () => {
    const { id } = await owner.g.upload(grp.id, Buffer.from('real file'));
    const bad = ['abc', id.slice(1), `${id}0`, 'g'.repeat(64), `${id.slice(0, 63)}-`, '..%2F..%2Fwhispr.sqlite', '%2E%2E', 'a'.repeat(300)];
    for (const attId of bad) expectError(await api('GET', `/attachments/${attId}`, { query: { group_id: grp.id } }), 404);
    // A broken %-escape is no id at all: 400, in the same error shape.
    expectError(await api('GET', '/attachments/%zz', { query: { group_id: grp.id } }), 400, 'BAD_URL');
    // So is U+0000, refused in every text a request carries (docs/security.md).
    expectError(await api('GET', `/attachments/${id}%00`, { query: { group_id: grp.id } }), 400, 'INVALID_STRING');
    expect(text(await owner.g.download(grp.id, id))).toBe('real file');
  });
});
