// Group files: every upload encoding the original client and server used, exact bytes back as
// application/octet-stream, content-addressed storage shared between groups. Real clients over HTTP.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GroupClient } from 'whispr-sdk';
import { startServer, type RunningServer } from '../support/test-server.js';

let s: RunningServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(async () => s.stop());

const user = () => {
  const client = s.client();
  return { id: client.address, g: new GroupClient(client), token: () => client.token() as Promise<string> };
};
type User = ReturnType<typeof user>;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const blobFile = (attId: string) => join(s.dataDir, 'group-attachments', attId.slice(0, 2), `${attId}.bin`);

/** POST /groups/attachments/upload with exactly this body and Content-Type (none if undefined). */
async function upload(u: User, groupId: string, body: Buffer | string, contentType?: string) {
  const url = new URL('/groups/attachments/upload', s.url);
  url.search = new URLSearchParams({ group_id: groupId, user_id: u.id }).toString();
  const headers: Record<string, string> = { authorization: `Bearer ${await u.token()}` };
  if (contentType !== undefined) headers['content-type'] = contentType;
  const response = await fetch(url, { method: 'POST', headers, body });
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as { id: string; size: number };
}

/** GET the file back: status, Content-Type, Content-Length and the bytes. */
async function download(u: User, groupId: string, attId: string) {
  const url = new URL(`/groups/attachments/${attId}`, s.url);
  url.search = new URLSearchParams({ group_id: groupId, user_id: u.id }).toString();
  const response = await fetch(url, { headers: { authorization: `Bearer ${await u.token()}` } });
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    length: response.headers.get('content-length'),
    bytes: Buffer.from(await response.arrayBuffer()),
  };
}

async function groupWith(owner: User, ...members: User[]) {
  const { id, invite_code } = await owner.g.create('files');
  for (const m of members) await m.g.join({ invite_code });
  return id;
}

describe('upload encodings', () => {
  let owner: User;
  let bob: User;
  let groupId: string;
  beforeAll(async () => {
    owner = user();
    bob = user();
    groupId = await groupWith(owner, bob);
  });

  /** The answer is {id: sha256, size}; a member gets exactly the bytes back as application/octet-stream. */
  async function expectStored(answer: { id: string; size: number }, bytes: Buffer) {
    expect(answer).toEqual({ id: sha256(bytes), size: bytes.length });
    const got = await download(bob, groupId, answer.id);
    expect(got.status).toBe(200);
    expect(got.type).toBe('application/octet-stream');
    expect(got.length).toBe(String(bytes.length));
    expect(got.bytes.equals(bytes)).toBe(true);
    expect(readFileSync(blobFile(answer.id)).equals(bytes)).toBe(true);
  }

  test('raw body with no Content-Type, as the original client posts it (SDK)', async () => {
    const bytes = randomBytes(70_000);
    await expectStored(await owner.g.upload(groupId, bytes), bytes);
    expect(Buffer.from(await bob.g.download(groupId, sha256(bytes))).equals(bytes)).toBe(true);
  });

  test('raw body with no Content-Type header at all, over fetch', async () => {
    const bytes = randomBytes(333);
    await expectStored(await upload(owner, groupId, bytes), bytes);
  });

  test('raw body as application/octet-stream (and other binary types)', async () => {
    const bytes = randomBytes(4096);
    await expectStored(await upload(bob, groupId, bytes, 'application/octet-stream'), bytes);
    const image = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), randomBytes(100)]);
    await expectStored(await upload(bob, groupId, image, 'image/png'), image);
  });

  test.each(['blob', 'file_b64', 'file', 'blob_b64'])('JSON {%s: base64}', async (field) => {
    const bytes = randomBytes(1000 + field.length);
    await expectStored(await upload(owner, groupId, JSON.stringify({ [field]: bytes.toString('base64') }), 'application/json'), bytes);
  });

  test('bytes that look like JSON or text are kept verbatim when sent raw', async () => {
    const bytes = Buffer.from('{"blob":"aGVsbG8="}');
    await expectStored(await upload(owner, groupId, bytes, 'application/octet-stream'), bytes);
    const text = Buffer.from('plain text, not base64 \u00e9\n', 'utf8');
    await expectStored(await upload(owner, groupId, text), text);
  });

  test('the same bytes twice are one file with one id', async () => {
    const bytes = randomBytes(512);
    const first = await owner.g.upload(groupId, bytes);
    const second = await upload(bob, groupId, JSON.stringify({ blob: bytes.toString('base64') }), 'application/json');
    expect(second).toEqual(first);
    await expectStored(second, bytes);
  });
});

describe('the same bytes in two groups', () => {
  test('deleting one group keeps the file for the other; deleting both removes it', async () => {
    const alice = user();
    const bob = user();
    const first = await groupWith(alice, bob);
    const second = await groupWith(bob);
    const bytes = randomBytes(2048);
    const a = await alice.g.upload(first, bytes);
    const b = await upload(bob, second, bytes, 'application/octet-stream');
    expect(b.id).toBe(a.id);
    // Each group reaches the file only through its own record.
    expect((await download(alice, first, a.id)).bytes.equals(bytes)).toBe(true);
    expect((await download(alice, second, a.id)).status).toBe(403);

    await alice.g.delete(first);
    expect((await download(bob, first, a.id)).status).toBe(404);
    expect(existsSync(blobFile(a.id))).toBe(true);
    const kept = await download(bob, second, a.id);
    expect(kept.status).toBe(200);
    expect(kept.bytes.equals(bytes)).toBe(true);

    await bob.g.delete(second);
    expect(existsSync(blobFile(a.id))).toBe(false);
  });

  test('a file re-uploaded after its only group was deleted is stored again', async () => {
    const alice = user();
    const bytes = randomBytes(300);
    const gone = await groupWith(alice);
    const { id } = await alice.g.upload(gone, bytes);
    await alice.g.delete(gone);
    expect(existsSync(blobFile(id))).toBe(false);
    const again = await groupWith(alice);
    expect(await alice.g.upload(again, bytes)).toEqual({ id, size: bytes.length });
    expect(Buffer.from(await alice.g.download(again, id)).equals(bytes)).toBe(true);
  });
});

describe('shutdown', () => {
  test('a server stopped right after a file download stops at once (no keep-alive connection left behind)', async () => {
    // The file stream ends a moment after the client has every byte; close() used to miss that connection.
    for (let i = 0; i < 5; i++) {
      const srv = await startServer();
      const client = srv.client();
      const g = new GroupClient(client);
      const { id } = await g.create('shutdown');
      const bytes = randomBytes(333);
      const { id: attId } = await g.upload(id, bytes);
      expect(Buffer.from(await g.download(id, attId)).equals(bytes)).toBe(true);
      const started = performance.now();
      await srv.stop();
      expect(performance.now() - started).toBeLessThan(2_000);
    }
  });
});
