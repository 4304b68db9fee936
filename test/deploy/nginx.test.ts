/**
 * deploy/nginx.conf in front of a real Whispr: a real nginx (Debian package) runs a config made
 * from the shipped one (upstream and listen ports replaced, a self-signed certificate as
 * test/tls uses), as this process's child; HTTP and every WebSocket path go through it.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import type { WhisprClient } from '../../src/sdk/whispr-client.js';
import { ADMIN_PASSWORD, ADMIN_SETTINGS, ADMIN_USER } from '../admin/admin-kit.js';
import { collectFrames, closed } from '../relay/helpers.js';
import { freeTcpPort, startDaemon, tcpOpen, which, type Daemon } from '../support/daemon.js';
import { eventually, startServer, type RunningServer } from '../support/test-server.js';

const run = promisify(execFile);
const NGINX = which('nginx');
if (NGINX === undefined) {
  if (process.env.CI === 'true') throw new Error('nginx is required in CI: apt-get install nginx-light (.ci/run does)');
  console.warn('SKIPPED: test/deploy/nginx.test.ts needs nginx (Debian package nginx-light)');
}

const SHIPPED = readFileSync(new URL('../../deploy/nginx.conf', import.meta.url), 'utf8');

/** Replaces `from` exactly once: if the shipped file changed shape, the test says so instead of testing something else. */
function replaceOnce(text: string, from: string | RegExp, to: string): string {
  const count = typeof from === 'string' ? text.split(from).length - 1 : (text.match(new RegExp(from.source, `${from.flags.replace('g', '')}g`)) ?? []).length;
  if (count !== 1) throw new Error(`deploy/nginx.conf: expected exactly one ${String(from)}, found ${count}; update test/deploy/nginx.test.ts`);
  return text.replace(from, to);
}

/** The shipped config with only what a test needs changed: ports, certificate, pid and temp paths. */
async function testConfig(dir: string, upstreamPort: number, httpPort: number, httpsPort: number, cert: string, key: string): Promise<string> {
  // Temp folders of the modules this nginx has (by default under /var/lib/nginx).
  const { stderr: build } = await run(NGINX!, ['-V']);
  const temps = ['client_body', 'proxy', ...['fastcgi', 'uwsgi', 'scgi'].filter((m) => !build.includes(`--without-http_${m}_module`))];
  let conf = SHIPPED;
  conf = replaceOnce(conf, /^pid .*;$/m, '# pid: given with -g');
  conf = replaceOnce(conf, 'worker_processes auto;', 'worker_processes 1;');
  conf = replaceOnce(conf, 'http {\n', `http {\n${temps.map((t) => `    ${t}_temp_path ${join(dir, `${t}_temp`)};\n`).join('')}`);
  conf = replaceOnce(conf, 'server 127.0.0.1:8000;', `server 127.0.0.1:${upstreamPort};`);
  conf = replaceOnce(conf, /listen 80;\s*listen \[::\]:80;/, `listen 127.0.0.1:${httpPort};`);
  conf = replaceOnce(conf, /listen 443 ssl http2;\s*listen \[::\]:443 ssl http2;/, `listen 127.0.0.1:${httpsPort} ssl http2;`);
  conf = replaceOnce(conf, /ssl_certificate\s+\S+;/, `ssl_certificate ${cert};`);
  conf = replaceOnce(conf, /ssl_certificate_key\s+\S+;/, `ssl_certificate_key ${key};`);
  return conf;
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

describe.skipIf(NGINX === undefined)('deploy/nginx.conf with a real nginx in front', () => {
  let srv: RunningServer;
  let nginx: Daemon | undefined;
  let dir = '';
  let ca: Buffer;
  let httpPort = 0;
  let httpsPort = 0;
  let upstreamConnections = 0;
  const agent = () => new https.Agent({ ca, keepAlive: false });

  function request(method: string, path: string, options: { body?: unknown; headers?: Record<string, string>; plain?: boolean } = {}): Promise<Reply> {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string | number> = { ...options.headers };
    if (payload !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
    const lib = options.plain ? http : https;
    const port = options.plain ? httpPort : httpsPort;
    return new Promise((resolve, reject) => {
      const req = lib.request({ host: '127.0.0.1', port, path, method, headers, ...(options.plain ? {} : { ca, agent: agent() }) }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  const wss = (path: string) =>
    new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(`wss://127.0.0.1:${httpsPort}${path}`, { ca });
      ws.once('open', () => resolve(ws));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade of ${path} refused with ${res.statusCode}`)));
      ws.once('error', reject);
    });

  async function nextFrame(frames: Array<Record<string, unknown>>, match: (f: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    let found: Record<string, unknown> | undefined;
    await eventually(() => (found = frames.find(match)) !== undefined, 5_000);
    return found!;
  }

  beforeAll(async () => {
    srv = await startServer({ trust_proxy: true, ...ADMIN_SETTINGS });
    srv.server.app.server.on('connection', () => (upstreamConnections += 1));
    dir = mkdtempSync(join(tmpdir(), 'whispr-nginx-'));
    chmodSync(dir, 0o755); // nginx workers (user nobody when started as root) create their temp files below
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert]);
    ca = readFileSync(cert);
    [httpPort, httpsPort] = [await freeTcpPort(), await freeTcpPort()];
    const confPath = join(dir, 'nginx.conf');
    writeFileSync(confPath, await testConfig(dir, Number(new URL(srv.url).port), httpPort, httpsPort, cert, key));

    const args = ['-p', dir, '-c', confPath, '-e', join(dir, 'error.log'), '-g', `daemon off; pid ${join(dir, 'nginx.pid')};`];
    const test = await run(NGINX!, ['-t', ...args]).catch((err: { stderr?: string }) => {
      throw new Error(`nginx -t refused the config made from deploy/nginx.conf:\n${err.stderr}`);
    });
    expect(test.stderr).toContain('test is successful');
    nginx = await startDaemon(NGINX!, args, async () => (await tcpOpen(httpsPort)) && (await tcpOpen(httpPort)));
  }, 60_000);

  afterAll(async () => {
    await nginx?.stop();
    await srv?.stop();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  test('the server sees the real client address in X-Forwarded-For, never one the client made up', async () => {
    const seen: Array<string | string[] | undefined> = [];
    const record = (req: http.IncomingMessage) => seen.push(req.headers['x-forwarded-for']);
    srv.server.app.server.on('request', record);
    try {
      expect((await request('GET', '/healthz', { headers: { 'x-forwarded-for': '203.0.113.9' } })).status).toBe(200);
      expect((await request('GET', '/healthz')).status).toBe(200);
    } finally {
      srv.server.app.server.off('request', record);
    }
    expect(seen).toEqual(['127.0.0.1', '127.0.0.1']);
  });

  test('plain HTTP is redirected to HTTPS', async () => {
    const reply = await request('GET', '/health?x=1', { plain: true });
    expect(reply.status).toBe(301);
    expect(reply.headers.location).toBe('https://127.0.0.1/health?x=1');
  });

  test('HTTPS reaches the server: /health, HSTS, no nginx version, no Connection: close to the server', async () => {
    const reply = await request('GET', '/health');
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ status: 'ok', storage: 'sqlite' });
    expect(reply.headers['strict-transport-security']).toBe('max-age=63072000');
    expect(reply.headers.server).toBe('nginx');
    // `keepalive 32` only works if nginx does not tell the server to close each connection.
    const before = upstreamConnections;
    for (let i = 0; i < 10; i++) expect((await request('GET', '/healthz')).status).toBe(200);
    expect(upstreamConnections - before).toBeLessThanOrEqual(1);
  });

  describe('direct messages and push sockets', () => {
    let alice: WhisprClient;
    let bob: WhisprClient;
    let bobToken = '';
    beforeAll(async () => {
      [alice, bob] = [srv.client(), srv.client()];
      bobToken = await bob.authenticate('x25519');
    });

    test('POST /send, then GET /inbox/{key} with a token', async () => {
      const sent = await request('POST', '/send', { body: alice.buildSend(bob.address, 'through nginx') });
      expect(sent.status, sent.body).toBe(200);
      const inbox = await request('GET', `/inbox/${bob.address}`, { headers: { authorization: `Bearer ${bobToken}` } });
      expect(inbox.status).toBe(200);
      const [message] = JSON.parse(inbox.body).messages;
      expect(bob.open(message).plaintext.toString()).toBe('through nginx');
    });

    test('a 3 MB attachment passes client_max_body_size and comes back', async () => {
      const bytes = Buffer.alloc(3 * 1024 * 1024, 9);
      const upload = await request('POST', '/upload', { body: alice.buildUpload(bob.address, bytes, 'big.bin') });
      expect(upload.status, upload.body).toBe(200);
      const { att_id } = JSON.parse(upload.body);
      const download = await request('GET', `/download/${att_id}?recipient=${bob.address}`, { headers: { authorization: `Bearer ${bobToken}` } });
      expect(download.status).toBe(200);
      expect(Buffer.from(JSON.parse(download.body).blob, 'base64').equals(bytes)).toBe(true);
    });

    test.each([
      ['/ws/{64hex}', (key: string, token: string) => `/ws/${key}?token=${token}`],
      ['/ws?recipient=', (key: string, token: string) => `/ws?recipient=${key}&token=${token}`],
    ])('WebSocket %s pushes a message sent through nginx', async (_name, path) => {
      const ws = await wss(path(bob.address, bobToken));
      const frames = collectFrames(ws);
      await eventually(async () => JSON.parse((await request('GET', '/health')).body).websocket_connections.whispr === 1);
      const marker = `push ${_name}`;
      expect((await request('POST', '/send', { body: alice.buildSend(bob.address, marker) })).status).toBe(200);
      const frame = await nextFrame(frames, (f) => typeof f.message === 'string');
      expect(frame).toMatchObject({ to: bob.address, from: alice.signingKey });
      expect(bob.open(frame as never).plaintext.toString()).toBe(marker);
      ws.close();
      await closed(ws);
      await eventually(async () => JSON.parse((await request('GET', '/health')).body).websocket_connections.whispr === 0);
    });
  });

  test.each(['/rooms', '/ws', '/'])('WebSocket %s speaks the rooms protocol through nginx', async (path) => {
    const [a, b] = [await wss(path), await wss(path)];
    const [fa, fb] = [collectFrames(a), collectFrames(b)];
    const room = `nginx-room-${path.replace(/\W/g, '') || 'root'}`;
    a.send(JSON.stringify({ type: 'join', payload: { roomId: room, userId: 'u-a', username: 'A' } }));
    await nextFrame(fa, (f) => f.type === 'userList');
    b.send(JSON.stringify({ type: 'join', payload: { roomId: room, userId: 'u-b', username: 'B' } }));
    await nextFrame(fb, (f) => f.type === 'userList');
    expect(await nextFrame(fa, (f) => f.type === 'userJoined')).toMatchObject({ type: 'userJoined' });
    for (const ws of [a, b]) ws.close();
    await Promise.all([closed(a), closed(b)]);
  });

  test('WebSocket /signal relays call signalling through nginx', async () => {
    const token = await srv.client().authenticate('x25519');
    const [a, b] = [await wss(`/signal?token=${token}`), await wss(`/signal?token=${token}`)];
    const [fa, fb] = [collectFrames(a), collectFrames(b)];
    a.send(JSON.stringify({ type: 'join', call_id: 'nginx-call' }));
    await eventually(async () => JSON.parse((await request('GET', '/health')).body).calls.signal_rooms === 1);
    b.send(JSON.stringify({ type: 'join', call_id: 'nginx-call' }));
    await nextFrame(fa, (f) => f.type === 'peer-join');
    a.send(JSON.stringify({ type: 'signal', call_id: 'nginx-call', payload: { sdp: 'offer' } }));
    expect(await nextFrame(fb, (f) => f.type === 'signal')).toEqual({ type: 'signal', payload: { sdp: 'offer' } });
    for (const ws of [a, b]) ws.close();
    await Promise.all([closed(a), closed(b)]);
  });

  test('the admin API and dashboard work behind the proxy', async () => {
    const dashboard = await request('GET', '/admin');
    expect(dashboard.status).toBe(200);
    expect(dashboard.headers['content-security-policy']).toContain("script-src 'self'");
    const token = await request('POST', '/api/auth/login', { body: { username: ADMIN_USER, password: ADMIN_PASSWORD } });
    expect(token.status, token.body).toBe(200);
    const overview = await request('GET', '/api/stats/overview', { headers: { authorization: `Bearer ${JSON.parse(token.body).access_token}` } });
    expect(JSON.parse(overview.body)).toMatchObject({ total_messages: 3 });
  });
});
