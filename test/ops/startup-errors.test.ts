// The common reasons a start fails, as an operator meets them: `whispr serve` exits non-zero with
// one line on stderr saying what failed and how to fix it, and no stack trace.
import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWhispr, type CliResult } from '../config/cli.js';
import { freeTcpPort } from '../support/daemon.js';

const cwd = mkdtempSync(join(tmpdir(), 'whispr-start-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

/** One line on stderr, containing every fragment, exit code non-zero, no stack frame. */
function expectOneLine(result: CliResult, ...fragments: string[]): void {
  expect(result.code, result.stderr).not.toBe(0);
  expect(result.signal).toBeNull();
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^whispr: /);
  for (const fragment of fragments) expect(lines[0]).toContain(fragment);
  expect(result.stderr + result.stdout).not.toMatch(/\n\s+at /);
}

const serve = (args: string[], env: Record<string, string> = {}) =>
  runWhispr(['serve', '--host', '127.0.0.1', '--data-dir', mkdtempSync(join(cwd, 'data-')), ...args], { cwd, env: { WHISPR_LOG_LEVEL: 'warn', ...env } });

describe.concurrent('whispr serve: one-line start errors', () => {
  let busy: Server;
  let busyPort: number;
  beforeAll(async () => {
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    busyPort = (busy.address() as { port: number }).port;
  });
  afterAll(() => new Promise((resolve) => busy.close(resolve)));

  it('a port in use names the address and says to choose another port', async () => {
    expectOneLine(await serve(['--port', String(busyPort)]), `127.0.0.1:${busyPort}`, 'already in use', '--port');
  });

  it('a metrics port in use names metrics_port', async () => {
    expectOneLine(await serve(['--port', '0'], { WHISPR_METRICS_PORT: String(busyPort) }), `127.0.0.1:${busyPort}`, 'metrics_port');
  });

  it('an unreachable PostgreSQL names its address (not the password) and database_url', async () => {
    const port = await freeTcpPort(); // nothing listens there
    const result = await serve(['--port', '0', '--storage', 'postgres', '--database-url', `postgres://whispr:hunter2@127.0.0.1:${port}/whispr`]);
    expectOneLine(result, `PostgreSQL at postgres://127.0.0.1:${port}/whispr`, 'ECONNREFUSED', 'database_url');
    expect(result.stderr).not.toContain('hunter2');
  });

  it('an unreachable Redis names its address and redis_url', async () => {
    const port = await freeTcpPort();
    const result = await serve(['--port', '0', '--bus', 'redis', '--redis-url', `redis://127.0.0.1:${port}`], { WHISPR_JWT_SECRET: 'x'.repeat(40) });
    expectOneLine(result, `Redis at redis://127.0.0.1:${port}`, 'ECONNREFUSED', 'redis_url');
    expect(result.stdout).not.toContain('"stack"'); // not logged as well
  });

  it('a data directory that cannot be created names it and --data-dir', async () => {
    // Under a regular file: unwritable even for root, which ignores permission bits.
    const file = join(cwd, 'a-file');
    writeFileSync(file, 'x');
    const result = await runWhispr(['serve', '--port', '0', '--data-dir', join(file, 'data')], { cwd });
    expectOneLine(result, `data directory ${join(file, 'data')} is not writable`, 'ENOTDIR', '--data-dir');
  });

  it('a TLS file that is missing or not PEM names the setting and what to give', async () => {
    const junk = join(cwd, 'junk.pem');
    writeFileSync(junk, 'not a certificate');
    expectOneLine(await serve(['--port', '0', '--tls-cert', join(cwd, 'missing.pem'), '--tls-key', junk]), 'tls_cert', 'missing.pem', 'ENOENT', 'readable PEM');
    expectOneLine(await serve(['--port', '0', '--tls-cert', junk, '--tls-key', junk]), 'tls_cert', 'junk.pem', 'not a usable certificate and key', 'PEM');
  });
});
