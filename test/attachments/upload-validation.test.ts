import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign, toBase64 } from 'whispr-sdk';
import { statusFigure } from '../support/server-status.js';
import { startServer, type RunningServer } from '../support/test-server.js';
import { call, expectError, type ApiResponse } from '../auth/api.js';
import { sha256Hex, storedFiles, uploadBody, type UploadBody } from './upload.js';

const LIMIT = 1024;

describe('attachments: what a bad upload gets', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer({ attachment_max_size_bytes: LIMIT });
  });
  afterAll(async () => {
    await srv.stop();
  });

  const upload = (body: unknown) => call(srv.url, 'POST', '/upload', { json: body });
  const stored = async () => ({ files: storedFiles(srv.dataDir).sort(), grants: await statusFigure(srv, 'attachments') });

  /** Sends a broken upload, checks the error, and checks that nothing was written. */
  async function refused(body: unknown, status: number, code?: string): Promise<ApiResponse> {
    const before = await stored();
    const res = await upload(body);
    expectError(res, status, code);
    expect(await stored()).toEqual(before);
    return res;
  }

  async function valid(bytes = randomBytes(100)): Promise<{ body: UploadBody; bytes: Buffer }> {
    const alice = srv.client();
    const bob = srv.client();
    return { body: await uploadBody(alice, bob.address, bytes), bytes };
  }

  it('accepts exactly the limit', async () => {
    const { body, bytes } = await valid(randomBytes(LIMIT));
    const res = await upload(body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ att_id: sha256Hex(bytes), status: 'ok' });
    expect(storedFiles(srv.dataDir).some((f) => f.endsWith(`${sha256Hex(bytes)}.bin`))).toBe(true);
  });

  it('a declared size over attachment_max_size_bytes is 413 ATTACHMENT_TOO_LARGE', async () => {
    const { body } = await valid(randomBytes(10));
    await refused({ ...body, size: LIMIT + 1 }, 413, 'ATTACHMENT_TOO_LARGE');
  });

  it('real bytes over the limit with a lying small size are 413, and nothing is stored', async () => {
    const { body } = await valid(randomBytes(LIMIT + 1));
    await refused({ ...body, size: 1 }, 413, 'ATTACHMENT_TOO_LARGE');
    const { body: twice } = await valid(randomBytes(LIMIT * 2));
    await refused({ ...twice, size: 10 }, 413, 'ATTACHMENT_TOO_LARGE');
  });

  it('a body far over the limit with a huge Content-Length is refused with 413 before the body is sent', async () => {
    const { port } = new URL(srv.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1');
      let data = '';
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no answer before the body was sent; got ${JSON.stringify(data)}`));
      }, 5_000);
      socket.setEncoding('utf8');
      socket.on('connect', () => {
        // Headers only: a 1 GB body is announced but never sent.
        socket.write(`POST /upload HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n{"to":"`);
      });
      socket.on('data', (chunk: string) => {
        data += chunk;
        const headerEnd = data.indexOf('\r\n\r\n');
        const length = /content-length:\s*(\d+)/i.exec(data)?.[1];
        if (headerEnd >= 0 && length !== undefined && data.length >= headerEnd + 4 + Number(length)) {
          clearTimeout(timer);
          socket.destroy();
          resolve(data);
        }
      });
      socket.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    expect(answer.startsWith('HTTP/1.1 413')).toBe(true);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
    expect(body).toEqual({ detail: expect.any(String), error_code: 'BODY_TOO_LARGE', timestamp: expect.any(Number) });
  });

  it('a bad signature is 400 SIGNATURE_INVALID', async () => {
    const { body, bytes } = await valid();
    const stranger = srv.client();
    await refused({ ...body, signature: toBase64(sign(stranger.identity.signing, bytes)) }, 400, 'SIGNATURE_INVALID');
    await refused({ ...body, signature: toBase64(sign(srv.client().identity.signing, randomBytes(100))) }, 400, 'SIGNATURE_INVALID');
    await refused({ ...body, signature: randomBytes(10).toString('base64') }, 400, 'SIGNATURE_INVALID');
  });

  it('a sha256 that does not match the bytes is 400 SHA256_MISMATCH', async () => {
    const { body } = await valid();
    await refused({ ...body, sha256: sha256Hex(randomBytes(100)) }, 400, 'SHA256_MISMATCH');
  });

  it('a sha256 that is not 64 hex characters is 400', async () => {
    const { body } = await valid();
    await refused({ ...body, sha256: 'z'.repeat(64) }, 400, 'INVALID_ATTACHMENT_ID');
    await refused({ ...body, sha256: body.sha256.slice(1) }, 400, 'INVALID_ATTACHMENT_ID');
    await refused({ ...body, sha256: `${body.sha256}0` }, 400, 'VALIDATION_FAILED');
    await refused({ ...body, sha256: '../../../etc/passwd' }, 400);
  });

  it('a size that differs from the bytes is 400 SIZE_MISMATCH', async () => {
    const { body } = await valid(randomBytes(100));
    await refused({ ...body, size: 99 }, 400, 'SIZE_MISMATCH');
    await refused({ ...body, size: 101 }, 400, 'SIZE_MISMATCH');
  });

  it('a blob that is not strict base64 is 400 INVALID_BASE64', async () => {
    const { body } = await valid();
    await refused({ ...body, blob: 'not base64!' }, 400, 'INVALID_BASE64');
    await refused({ ...body, blob: `${body.blob.replace(/=+$/, '')}*` }, 400, 'INVALID_BASE64');
    await refused({ ...body, signature: 'sig?' }, 400, 'INVALID_BASE64');
  });

  it('malformed fields and bodies are 400', async () => {
    const { body } = await valid();
    await refused({ ...body, size: -1 }, 400, 'VALIDATION_FAILED');
    await refused({ ...body, size: '100' }, 400, 'VALIDATION_FAILED');
    await refused({ ...body, to: 'bob' }, 400);
    await refused({ ...body, from_: body.from_.slice(2) }, 400);
    await refused({ ...body, name: 'n'.repeat(256) }, 400, 'VALIDATION_FAILED');
    const { blob: _blob, ...noBlob } = body;
    await refused(noBlob, 400, 'VALIDATION_FAILED');
    const before = await stored();
    expectError(await call(srv.url, 'POST', '/upload', { raw: '{"to":' }), 400, 'INVALID_JSON');
    expect(await stored()).toEqual(before);
  });
});
