import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSealed, seal, sign, WhisprError, toBase64 } from 'whispr-sdk';
import { startServer, type RunningServer } from '../support/test-server.js';
import { call, expectError } from '../auth/api.js';
import { sha256Hex } from './upload.js';

async function rejection(promise: Promise<unknown>): Promise<WhisprError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WhisprError);
  return err as WhisprError;
}

describe('attachments: upload and download (strict)', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer();
  });
  afterAll(async () => {
    await srv.stop();
  });

  it('the recipient downloads what was uploaded: JSON with blob, name, size, from and to', async () => {
    const alice = srv.client();
    const bob = srv.client();
    const plaintext = randomBytes(5000);
    const bytes = seal(bob.identity.encryption.publicKey, plaintext);
    const attId = await alice.uploadRaw(bob.address, bytes, 'holiday.jpg');
    expect(attId).toBe(sha256Hex(bytes));

    const got = await bob.download(attId);
    expect(got).toEqual({ bytes, name: 'holiday.jpg', from: alice.signingKey, size: bytes.length });
    expect(openSealed(bob.identity.encryption, got.bytes)).toEqual(new Uint8Array(plaintext));

    const res = await call(srv.url, 'GET', `/download/${attId}`, { query: { recipient: bob.address }, token: await bob.authenticate('x25519') });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      att_id: attId,
      blob: toBase64(bytes),
      name: 'holiday.jpg',
      size: bytes.length,
      from: alice.signingKey,
      to: bob.address,
    });
  });

  it('downloadRaw returns the exact bytes as application/octet-stream', async () => {
    const alice = srv.client();
    const bob = srv.client();
    const bytes = randomBytes(70_000); // larger than one stream chunk
    const attId = await alice.uploadRaw(bob.address, bytes, 'raw.bin');
    expect(Buffer.from(await bob.downloadRaw(attId)).equals(bytes)).toBe(true);

    const res = await fetch(new URL(`/download/raw/${attId}?recipient=${bob.address}`, srv.url), {
      headers: { authorization: `Bearer ${await bob.authenticate('x25519')}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-length')).toBe(String(bytes.length));
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('an upload with no name downloads with name null; upper-case ids are accepted', async () => {
    const alice = srv.client();
    const bob = srv.client();
    const bytes = randomBytes(10);
    const body = {
      to: bob.address,
      from_: alice.signingKey,
      enc_pub: alice.address,
      blob: bytes.toString('base64'),
      size: 10,
      sha256: sha256Hex(bytes).toUpperCase(),
    };
    const res = await call(srv.url, 'POST', '/upload', { json: { ...body, signature: toBase64(sign(alice.identity.signing, bytes)) } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ att_id: sha256Hex(bytes), status: 'ok' });
    expect((await bob.download(sha256Hex(bytes).toUpperCase())).name).toBeNull();
  });

  it('only the recipient may download: another identity with its own token gets 404 (no existence oracle)', async () => {
    const alice = srv.client();
    const bob = srv.client();
    const eve = srv.client();
    const attId = await alice.uploadRaw(bob.address, randomBytes(64), 'secret.pdf');

    for (const attempt of [eve.download(attId), eve.downloadRaw(attId), alice.download(attId)]) {
      const err = await rejection(attempt);
      expect(err.status).toBe(404);
      expect(err.errorCode).toBe('NOT_FOUND');
    }
    // Same answer as for an id that never existed.
    const unknown = await rejection(eve.download(sha256Hex(randomBytes(8))));
    expect([unknown.status, unknown.errorCode]).toEqual([404, 'NOT_FOUND']);
    // Naming bob as recipient with eve's token is refused outright.
    const evesToken = await eve.authenticate('x25519');
    expectError(await call(srv.url, 'GET', `/download/${attId}`, { query: { recipient: bob.address }, token: evesToken }), 403, 'KEY_MISMATCH');
    expectError(await call(srv.url, 'GET', `/download/raw/${attId}`, { query: { recipient: bob.address }, token: evesToken }), 403, 'KEY_MISMATCH');
    // Bob still gets it.
    expect((await bob.download(attId)).name).toBe('secret.pdf');
  });

  it('without a token, download and raw download are 401 in strict mode', async () => {
    const alice = srv.client();
    const bob = srv.client();
    const attId = await alice.uploadRaw(bob.address, randomBytes(64), 'x');
    expectError(await call(srv.url, 'GET', `/download/${attId}`, { query: { recipient: bob.address } }), 401, 'TOKEN_REQUIRED');
    expectError(await call(srv.url, 'GET', `/download/raw/${attId}`, { query: { recipient: bob.address } }), 401, 'TOKEN_REQUIRED');
    const sdkNoAuth = await rejection(srv.client({ auth: 'none' }).download(attId));
    expect(sdkNoAuth.status).toBe(401);
  });

  it('download requests with a missing or malformed recipient are 400', async () => {
    const bob = srv.client();
    const token = await bob.authenticate('x25519');
    const id = sha256Hex(Buffer.from('x'));
    expectError(await call(srv.url, 'GET', `/download/${id}`, { token }), 400);
    expectError(await call(srv.url, 'GET', `/download/${id}`, { query: { recipient: 'abc' }, token }), 400);
    expectError(await call(srv.url, 'GET', `/download/raw/${id}`, { query: { recipient: 'abc' }, token }), 400);
  });
});

describe('attachments: compat mode (original unauthenticated downloads)', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer({ security: 'compat' });
  });
  afterAll(async () => {
    await srv.stop();
  });

  it('the recipient downloads without a token', async () => {
    const alice = srv.client({ auth: 'none' });
    const bob = srv.client({ auth: 'none' });
    const bytes = randomBytes(300);
    const attId = await alice.uploadRaw(bob.address, bytes, 'a.txt');
    expect(await bob.download(attId)).toEqual({ bytes: new Uint8Array(bytes), name: 'a.txt', from: alice.signingKey, size: 300 });
    expect(Buffer.from(await bob.downloadRaw(attId)).equals(bytes)).toBe(true);
  });

  it('still checks the recipient: any other key in ?recipient= is 404, never an open fallback', async () => {
    const alice = srv.client({ auth: 'none' });
    const bob = srv.client({ auth: 'none' });
    const eve = srv.client({ auth: 'none' });
    const attId = await alice.uploadRaw(bob.address, randomBytes(300), 'a.txt');
    for (const recipient of [eve.address, alice.address, alice.signingKey]) {
      expectError(await call(srv.url, 'GET', `/download/${attId}`, { query: { recipient } }), 404, 'NOT_FOUND');
      expectError(await call(srv.url, 'GET', `/download/raw/${attId}`, { query: { recipient } }), 404, 'NOT_FOUND');
    }
    expect((await rejection(eve.download(attId))).status).toBe(404);
  });
});
