/**
 * GET /api/v1/turn-credentials, and a real coturn (started here with use-auth-secret) that accepts
 * an allocation with the credentials Whispr issues and refuses expired or forged ones.
 */
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startDaemon, tcpOpen, which, type Daemon } from '../support/daemon.js';
import { eventually, startServer, type RunningServer } from '../support/test-server.js';
import { expectError, getJson } from '../relay/helpers.js';

const SECRET = randomBytes(24).toString('hex');
const TTL = 120;

interface Credentials {
  urls: string[];
  username: string;
  credential: string;
  ttl: number;
  ice_servers: Array<{ urls: string | string[]; username?: string; credential?: string }>;
}

const sign = (username: string, secret = SECRET) => createHmac('sha1', secret).update(username).digest('base64');

async function credentialsFor(srv: RunningServer): Promise<{ key: string; body: Credentials }> {
  const client = srv.client();
  const response = await getJson(srv.url, '/api/v1/turn-credentials', { authorization: `Bearer ${await client.authenticate('x25519')}` });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return { key: client.address, body: response.body as Credentials };
}

describe('GET /api/v1/turn-credentials', () => {
  const turnConfig = {
    turn_secret: SECRET,
    turn_urls: ['turn:turn.whispr.test:3478?transport=udp', 'turns:turn.whispr.test:5349?transport=tcp'],
    stun_urls: ['stun:turn.whispr.test:3478', 'stun:stun2.whispr.test:3478'],
    turn_ttl_seconds: TTL,
  };
  let strict: RunningServer;
  let compat: RunningServer;
  let unconfigured: RunningServer;
  beforeAll(async () => {
    [strict, compat, unconfigured] = await Promise.all([startServer(turnConfig), startServer({ ...turnConfig, security: 'compat' }), startServer()]);
  });
  afterAll(async () => {
    await Promise.all([strict, compat, unconfigured].map((s) => s?.stop()));
  });

  test.each(['strict', 'compat'] as const)('needs a bearer token in %s mode too (401 without or with a bad one)', async (mode) => {
    const srv = mode === 'strict' ? strict : compat;
    expectError(await getJson(srv.url, '/api/v1/turn-credentials'), 401, 'TOKEN_REQUIRED');
    expectError(await getJson(srv.url, '/api/v1/turn-credentials', { authorization: 'Bearer garbage' }), 401, 'TOKEN_INVALID');
  });

  test('issues TURN REST credentials: username "<expiry>:<key>", credential = base64 HMAC-SHA1(secret, username)', async () => {
    for (const srv of [strict, compat]) {
      const { key, body } = await credentialsFor(srv);
      const [expiry, user] = body.username.split(':');
      expect(user).toBe(key);
      expect(Number(expiry)).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + TTL - 5);
      expect(Number(expiry)).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + TTL + 1);
      expect(body.credential).toBe(sign(body.username));
      expect(body).toEqual({
        urls: turnConfig.turn_urls,
        username: body.username,
        credential: body.credential,
        ttl: TTL,
        ice_servers: [{ urls: turnConfig.stun_urls }, { urls: turnConfig.turn_urls, username: body.username, credential: body.credential }],
      });
    }
  });

  test('without a TURN secret or URLs it answers 503 TURN_NOT_CONFIGURED with Retry-After', async () => {
    const token = await unconfigured.client().authenticate('x25519');
    const response = await getJson(unconfigured.url, '/api/v1/turn-credentials', { authorization: `Bearer ${token}` });
    expectError(response, 503, 'TURN_NOT_CONFIGURED');
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((response.body as { detail: string }).detail).toMatch(/TURN/);
  });
});

const TURNSERVER = which('turnserver');
const UCLIENT = which('turnutils_uclient');
const haveCoturn = TURNSERVER !== undefined && UCLIENT !== undefined;
if (!haveCoturn) {
  if (process.env.CI === 'true') throw new Error('coturn (turnserver, turnutils_uclient) is required in CI: apt-get install coturn (.ci/run does)');
  console.warn('SKIPPED: the coturn tests of test/calls/turn.test.ts need turnserver and turnutils_uclient (Debian package coturn)');
}

/** A port free for both TCP and UDP on 127.0.0.1 (turnserver listens on both). */
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const tcp = createServer();
    const port = await new Promise<number>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(0, '127.0.0.1', () => resolve((tcp.address() as { port: number }).port));
    });
    const udp = createSocket('udp4');
    const udpFree = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, '127.0.0.1', () => resolve(true));
    });
    udp.close();
    await new Promise((r) => tcp.close(r));
    if (udpFree) return port;
  }
  throw new Error('no free port');
}

/** Runs turnutils_uclient (bounded); exit code and combined output. */
function uclient(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(UCLIENT!, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000, killSignal: 'SIGKILL' });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

describe.skipIf(!haveCoturn)('a real coturn with use-auth-secret', () => {
  let turn: Daemon | undefined;
  let turnDir = '';
  let port = 0;
  let srv: RunningServer;

  beforeAll(async () => {
    port = await freePort();
    turnDir = mkdtempSync(join(tmpdir(), 'whispr-coturn-'));
    const args = [
      '-n', '--use-auth-secret', `--static-auth-secret=${SECRET}`, '--realm=whispr.test',
      `--listening-port=${port}`, '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1', '--allow-loopback-peers',
      '--no-tls', '--no-dtls', '--no-cli', '--log-file=stdout', `--pidfile=${join(turnDir, 'turnserver.pid')}`, `--userdb=${join(turnDir, 'turndb')}`,
    ];
    turn = await startDaemon(TURNSERVER!, args, () => tcpOpen(port));
    try {
      srv = await startServer({ turn_secret: SECRET, turn_urls: [`turn:127.0.0.1:${port}?transport=udp`], stun_urls: [`stun:127.0.0.1:${port}`], turn_ttl_seconds: TTL });
    } catch (err) {
      await turn.stop();
      throw err;
    }
  });

  afterAll(async () => {
    await turn?.stop();
    await srv?.stop();
    if (turnDir !== '') rmSync(turnDir, { recursive: true, force: true });
  });

  /**
   * One client (-m 1) with two client-to-client UDP allocations (-y), no RTCP (-c), one message each way
   * (-n 1), verbose (-v) for the allocation lines. Success takes ~5 s (uclient's fixed send/receive phase); refusal is immediate.
   */
  const allocate = (username: string, credential: string) => uclient(['-v', '-y', '-c', '-n', '1', '-m', '1', '-u', username, '-w', credential, '-p', String(port), '127.0.0.1']);

  test('accepts an allocation with credentials issued by Whispr', async () => {
    const { body } = await credentialsFor(srv);
    expect(body.urls).toEqual([`turn:127.0.0.1:${port}?transport=udp`]);
    const run = await allocate(body.username, body.credential);
    expect(run.output).toMatch(/Received relay addr: 127\.0\.0\.1:\d+/);
    expect(run.output).not.toMatch(/Cannot complete Allocation/);
    expect(run.code, run.output).toBe(0);
    // The two clients' test messages crossed the relay.
    expect(Number(/tot_send_msgs=\d+, tot_recv_msgs=(\d+)\s*$/m.exec(run.output)?.[1])).toBeGreaterThan(0);
  });

  test('refuses an expired credential, even correctly signed with the secret', async () => {
    const { key } = await credentialsFor(srv);
    const username = `${Math.floor(Date.now() / 1000) - 60}:${key}`;
    const run = await allocate(username, sign(username));
    expect(run.output).toMatch(/Cannot complete Allocation/);
    expect(run.output).not.toMatch(/Received relay addr/);
    expect(run.code).not.toBe(0);
    await eventually(() => turn!.log().includes(`<${username}>`), 2_000);
  });

  test('refuses a forged credential (a valid username with a credential not made from the secret)', async () => {
    const { body } = await credentialsFor(srv);
    for (const credential of [sign(body.username, 'not-the-secret'), (body.credential.startsWith('AAAA') ? 'BBBB' : 'AAAA') + body.credential.slice(4)]) {
      const run = await allocate(body.username, credential);
      expect(run.output).toMatch(/Cannot complete Allocation/);
      expect(run.output).not.toMatch(/Received relay addr/);
      expect(run.code).not.toBe(0);
    }
    // A username whose expiry was pushed out by the client is not covered by the server's signature either.
    const [, user] = body.username.split(':');
    const extended = `${Math.floor(Date.now() / 1000) + 86_400 * 365}:${user}`;
    const run = await allocate(extended, body.credential);
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/Cannot complete Allocation/);
  });
});
