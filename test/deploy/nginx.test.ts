/**
 * deploy/nginx.conf in front of a real Whispr: a real nginx (Debian package) runs a config made
 * from the shipped one (upstream and listen ports replaced, a self-signed certificate as
 * test/tls uses), as this process's child; HTTP and every WebSocket path go through it.
 */
import https from 'node:https';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { type WhisprClient, text } from 'whispr-sdk';
import { ADMIN_PASSWORD, ADMIN_SETTINGS, ADMIN_USER } from '../admin/admin-kit.js';
import { collectFrames, closed } from '../relay/helpers.js';
import { nginxAvailable, startTestNginx, type TestNginx } from '../support/nginx.js';
import { statusFigure } from '../support/server-status.js';
import { eventually, startServer, type RunningServer } from '../support/test-server.js';

const NGINX_OK = nginxAvailable('test/deploy/nginx.test.ts');

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

describe.runIf(NGINX_OK)('deploy/nginx.conf with a real nginx in front', () => {
  let srv: RunningServer;
  let nginx: TestNginx | undefined;
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
    await eventually(() => {
      found = frames.find(match);
      return found !== undefined;
    }, 5_000);
    return found!;
  }

  beforeAll(async () => {
    srv = await startServer({ trust_proxy: ['loopback'], ...ADMIN_SETTINGS });
    srv.server.app.server.on('connection', () => (upstreamConnections += 1));
    nginx = await startTestNginx('deploy/nginx.conf', [['server 127.0.0.1:8000;', `server 127.0.0.1:${new URL(srv.url).port};`]]);
    ({ ca, httpPort, httpsPort } = nginx);
  }, 60_000);

  afterAll(async () => {
    await nginx?.stop();
    await srv?.stop();
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
    expect(JSON.parse(reply.body)).toMatchObject({ status: 'ok', active_rooms: 0 });
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
      expect(text(bob.open(message).plaintext)).toBe('through nginx');
    });

    test('a 3 MB attachment passes client_max_body_size and comes back', async () => {
      const bytes = Buffer.alloc(3 * 1024 * 1024, 9);
      const upload = await request('POST', '/upload', { body: await alice.buildUpload(bob.address, bytes, 'big.bin') });
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
      await eventually(async () => (await statusFigure(srv, 'websocket_connections.whispr')) === 1);
      const marker = `push ${_name}`;
      expect((await request('POST', '/send', { body: alice.buildSend(bob.address, marker) })).status).toBe(200);
      const frame = await nextFrame(frames, (f) => typeof f.message === 'string');
      expect(frame).toMatchObject({ to: bob.address, from: alice.signingKey });
      expect(text(bob.open(frame as never).plaintext)).toBe(marker);
      ws.close();
      await closed(ws);
      await eventually(async () => (await statusFigure(srv, 'websocket_connections.whispr')) === 0);
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
    await eventually(async () => (await statusFigure(srv, 'calls.signal_rooms')) === 1);
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
