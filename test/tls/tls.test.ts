import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createWhisprServer } from '../../src/app/whispr-server.js';
import { ConfigError, loadConfig } from '../../src/config/load-config.js';
import { generateIdentity, WhisprClient, type InboxMessage, text } from 'whispr-sdk';
import { startServer, type RunningServer } from '../support/test-server.js';

const run = promisify(execFile);

let dir: string;
let certPath: string;
let keyPath: string;
let ca: Buffer;
let server: RunningServer;

interface Reply {
  status: number;
  body: string;
}

function httpsRequest(url: string, method: string, body?: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request(
      url,
      { method, ca, headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'whispr-tls-'));
  certPath = join(dir, 'cert.pem');
  keyPath = join(dir, 'key.pem');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout',
    keyPath,
    '-out',
    certPath,
  ]);
  ca = readFileSync(certPath);
  server = await startServer({ security: 'compat', tls_cert: certPath, tls_key: keyPath });
}, 30_000);

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('direct TLS', () => {
  it('listen() returns an https:// URL and /health answers over HTTPS', async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const reply = await httpsRequest(`${server.url}/health`, 'GET');
    expect(reply.status).toBe(200);
  });

  it('a push socket over wss:// receives a DM sent over HTTPS', async () => {
    const alice = new WhisprClient({ baseUrl: server.url, identity: generateIdentity(), auth: 'none' });
    const bob = new WhisprClient({ baseUrl: server.url, identity: generateIdentity(), auth: 'none' });
    const wsUrl = `${server.url.replace(/^https/, 'wss')}/ws/${bob.address}`;
    expect(wsUrl.startsWith('wss://')).toBe(true);
    const socket = new WebSocket(wsUrl, { ca });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
      });
      const received = new Promise<InboxMessage>((resolve) => {
        socket.on('message', (data) => {
          const frame = JSON.parse(String(data)) as unknown;
          if (typeof frame === 'object' && frame !== null && 'message' in frame) resolve(frame as InboxMessage);
        });
      });
      const sent = await httpsRequest(`${server.url}/send`, 'POST', alice.buildSend(bob.address, 'hello over TLS'));
      expect(sent.status).toBe(200);
      const message = await received;
      expect(message.from).toBe(alice.signingKey);
      const opened = bob.open(message);
      expect(text(opened.plaintext)).toBe('hello over TLS');
      expect(opened.verified).toBe(true);
    } finally {
      socket.close();
    }
  });

  it('an untrusted client (no CA) is refused by certificate verification', async () => {
    await expect(
      new Promise((resolve, reject) => {
        https.get(`${server.url}/health`, resolve).on('error', reject);
      }),
    ).rejects.toThrow(/self[- ]signed|certificate/i);
  });

  it('plain HTTP to the TLS port fails', async () => {
    const plainUrl = server.url.replace(/^https/, 'http');
    const outcome = await new Promise<string>((resolve) => {
      const req = http.get(`${plainUrl}/health`, (res) => {
        res.resume();
        resolve(`status ${res.statusCode}`);
      });
      req.on('error', (err) => resolve(`error ${err.message}`));
      req.setTimeout(5_000, () => req.destroy(new Error('timeout')));
    });
    // Node's TLS server answers a plain HTTP request with 400 and closes, or drops the connection.
    expect(outcome).not.toBe('status 200');
  });
});

describe('TLS configuration', () => {
  it('only tls_cert set: refused, naming tls_key', () => {
    expect(() => loadConfig({ env: { WHISPR_TLS_CERT: '/tmp/cert.pem' }, overrides: {} })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { WHISPR_TLS_CERT: '/tmp/cert.pem' } })).toThrow(/tls_key/);
  });

  it('only tls_key set (flag): refused, naming tls_cert', () => {
    expect(() => loadConfig({ env: {}, flags: { 'tls-key': '/tmp/key.pem' } })).toThrow(/tls_cert/);
  });

  it('an unreadable certificate file is a clear configuration error', async () => {
    const { config } = loadConfig({
      env: {},
      overrides: { data_dir: join(dir, 'data'), log_level: 'silent', tls_cert: join(dir, 'missing.pem'), tls_key: keyPath },
    });
    await expect(createWhisprServer(config)).rejects.toThrow(/tls_cert.*cannot read .*missing\.pem/);
  });
});
