/** A real coturn with use-auth-secret, run by a test as its child, and turnutils_uclient to allocate on it. */
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Config } from '../../src/config/settings.js';
import { startDaemon, tcpOpen, which } from './daemon.js';
import { startServer, type RunningServer } from './test-server.js';

const TURNSERVER = which('turnserver');
const UCLIENT = which('turnutils_uclient');

/**
 * Whether coturn is installed. CI must have it (this throws there); elsewhere the caller skips its
 * coturn tests, and this says so.
 */
export function coturnInstalled(testFile: string): boolean {
  if (TURNSERVER !== undefined && UCLIENT !== undefined) return true;
  if (process.env.CI === 'true') throw new Error('coturn (turnserver, turnutils_uclient) is required in CI: apt-get install coturn (.ci/run does)');
  console.warn(`SKIPPED: the coturn tests of ${testFile} need turnserver and turnutils_uclient (Debian package coturn)`);
  return false;
}

/** The TURN REST credential coturn expects for `username`: base64(HMAC-SHA1(secret, username)). */
export const turnCredential = (username: string, secret: string) => createHmac('sha1', secret).update(username).digest('base64');

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

/** A finished turnutils_uclient: exit code and combined output. */
export interface UclientRun {
  code: number | null;
  output: string;
}

/** Runs turnutils_uclient (bounded). */
function uclient(args: string[]): Promise<UclientRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(UCLIENT!, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000, killSignal: 'SIGKILL' });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

export interface Coturn {
  port: number;
  /** Its log so far (refused usernames appear as `<username>`). */
  log(): string;
  /**
   * One client (-m 1) with two client-to-client UDP allocations (-y), no RTCP (-c), one message each way
   * (-n 1), verbose (-v) for the allocation lines. Success takes ~5 s (uclient's fixed send/receive phase); refusal is immediate.
   */
  allocate(username: string, credential: string): Promise<UclientRun>;
  stop(): Promise<void>;
}

/** turnserver on 127.0.0.1 checking TURN REST credentials made with `secret`, relaying on loopback only. */
export async function startCoturn(secret: string): Promise<Coturn> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'whispr-coturn-'));
  const args = [
    '-n',
    '--use-auth-secret',
    `--static-auth-secret=${secret}`,
    '--realm=whispr.test',
    `--listening-port=${port}`,
    '--listening-ip=127.0.0.1',
    '--relay-ip=127.0.0.1',
    '--allow-loopback-peers',
    '--no-tls',
    '--no-dtls',
    '--no-cli',
    '--log-file=stdout',
    `--pidfile=${join(dir, 'turnserver.pid')}`,
    `--userdb=${join(dir, 'turndb')}`,
  ];
  const daemon = await startDaemon(TURNSERVER!, args, () => tcpOpen(port)).catch((err: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  return {
    port,
    log: () => daemon.log(),
    allocate: (username, credential) => uclient(['-v', '-y', '-c', '-n', '1', '-m', '1', '-u', username, '-w', credential, '-p', String(port), '127.0.0.1']),
    async stop() {
      await daemon.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** coturn, and a Whispr server issuing credentials for it. */
export interface TurnSetup {
  turn: Coturn;
  srv: RunningServer;
  stop(): Promise<void>;
}

/** Starts coturn, then a Whispr server with its TURN (and STUN) URL and the same secret, plus `overrides`. */
export async function startServerWithCoturn(secret: string, overrides: Partial<Config> = {}): Promise<TurnSetup> {
  const turn = await startCoturn(secret);
  const urls = { turn_urls: [`turn:127.0.0.1:${turn.port}?transport=udp`], stun_urls: [`stun:127.0.0.1:${turn.port}`] };
  const srv = await startServer({ turn_secret: secret, ...urls, ...overrides }).catch(async (err: unknown) => {
    await turn.stop();
    throw err;
  });
  return { turn, srv, stop: async () => void (await Promise.all([turn.stop(), srv.stop()])) };
}

/** coturn accepted the credentials: an allocation, and the two clients' test messages crossed the relay. */
export function expectRelayed(run: UclientRun): void {
  expect(run.output).toMatch(/Received relay addr: 127\.0\.0\.1:\d+/);
  expect(run.output).not.toMatch(/Cannot complete Allocation/);
  expect(run.code, run.output).toBe(0);
  expect(Number(/tot_send_msgs=\d+, tot_recv_msgs=(\d+)\s*$/m.exec(run.output)?.[1])).toBeGreaterThan(0);
}

/** coturn refused the credentials: no allocation. */
export function expectRefused(run: UclientRun): void {
  expect(run.output).toMatch(/Cannot complete Allocation/);
  expect(run.output).not.toMatch(/Received relay addr/);
  expect(run.code).not.toBe(0);
}
