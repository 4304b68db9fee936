/** The server refuses to enable the admin API with a default or weak secret or password. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load-config.js';
import { AdminAuth, adminLoginPolicy } from '../../src/features/admin/admin-auth.js';
import { createLocalRateLimiter } from '../../src/rate-limit/local-rate-limiter.js';
import { execFile } from 'node:child_process';
import { parsePasswordHash, verifyPassword } from '../../src/core/password-hash.js';
import { CLI_MAIN, TSX_LOADER, runWhispr } from '../config/cli.js';

const GOOD_SECRET = 'f3c1d9a0b7e24c55a8e61f0d2b9c7a43';
const GOOD_PASSWORD = 'correct horse battery staple';
const load = (env: Record<string, string>) => loadConfig({ env, file: undefined });

describe('loadConfig', () => {
  test('no password: the admin API is off and nothing else is required', () => {
    const { config } = load({});
    expect([config.admin_username, config.admin_password, config.analytics_jwt_secret]).toEqual(['admin', '', '']);
    expect(load({ ANALYTICS_JWT_SECRET: 'change_this_secret_key' }).config.admin_password).toBe('');
  });

  test('a strong secret and password are accepted, from the seed variables or the WHISPR_ ones', () => {
    expect(load({ ADMIN_PASSWORD: GOOD_PASSWORD, ANALYTICS_JWT_SECRET: GOOD_SECRET }).config.admin_password).toBe(GOOD_PASSWORD);
    const { config } = load({
      WHISPR_ADMIN_USERNAME: 'ops',
      WHISPR_ADMIN_PASSWORD: GOOD_PASSWORD,
      WHISPR_ANALYTICS_JWT_SECRET: GOOD_SECRET,
      WHISPR_ADMIN_TOKEN_TTL_SECONDS: '600',
    });
    expect([config.admin_username, config.admin_token_ttl_seconds]).toEqual(['ops', 600]);
  });

  test.each([
    ['an empty secret', { ADMIN_PASSWORD: GOOD_PASSWORD }, /analytics_jwt_secret.*required/],
    ['the original default secret', { ADMIN_PASSWORD: GOOD_PASSWORD, ANALYTICS_JWT_SECRET: 'change_this_secret_key' }, /analytics_jwt_secret.*at least 32/],
    ['a short secret', { ADMIN_PASSWORD: GOOD_PASSWORD, ANALYTICS_JWT_SECRET: 'a1b2c3d4e5f6' }, /at least 32/],
    ['a long placeholder secret', { ADMIN_PASSWORD: GOOD_PASSWORD, ANALYTICS_JWT_SECRET: 'change_this_secret_key_in_production_please' }, /well-known default/],
    [
      'the seed example secret',
      { ADMIN_PASSWORD: GOOD_PASSWORD, ANALYTICS_JWT_SECRET: 'your_secret_key_your_secret_key_your_secret_key' },
      /well-known default/,
    ],
    ['a repetitive secret', { ADMIN_PASSWORD: GOOD_PASSWORD, ANALYTICS_JWT_SECRET: 'x'.repeat(40) }, /well-known default/],
    ['the password "admin"', { ADMIN_PASSWORD: 'admin', ANALYTICS_JWT_SECRET: GOOD_SECRET }, /admin_password/],
    ['the password "password"', { ADMIN_PASSWORD: 'password', ANALYTICS_JWT_SECRET: GOOD_SECRET }, /well-known default/],
    ['the password "changeme"', { ADMIN_PASSWORD: 'changeme', ANALYTICS_JWT_SECRET: GOOD_SECRET }, /well-known default/],
    ['the original default password change_me', { ADMIN_PASSWORD: 'change_me', ANALYTICS_JWT_SECRET: GOOD_SECRET }, /well-known default/],
    [
      'a password equal to the user name',
      { ADMIN_USERNAME: 'operator-one', ADMIN_PASSWORD: 'Operator-One', ANALYTICS_JWT_SECRET: GOOD_SECRET },
      /well-known default/,
    ],
    ['a short password', { ADMIN_PASSWORD: 'x7#kP2', ANALYTICS_JWT_SECRET: GOOD_SECRET }, /at least 8/],
    ['a malformed hash', { ADMIN_PASSWORD: 'scrypt$1$2$3$nope', ANALYTICS_JWT_SECRET: GOOD_SECRET }, /malformed/],
    ['the secret as password', { ADMIN_PASSWORD: GOOD_SECRET, ANALYTICS_JWT_SECRET: GOOD_SECRET }, /must differ/],
  ])('%s is refused with a ConfigError naming the setting', (_name, env, message) => {
    expect(() => load(env)).toThrow(ConfigError);
    expect(() => load(env)).toThrow(message);
  });

  test('AdminAuth refuses the same configuration when it is built without loadConfig', async () => {
    const settings = {
      admin_username: 'admin',
      admin_password: 'admin',
      analytics_jwt_secret: GOOD_SECRET,
      admin_token_ttl_seconds: 60,
      admin_login_attempts_per_minute: 5,
    };
    const attempts = createLocalRateLimiter(adminLoginPolicy(settings));
    await expect(AdminAuth.create(settings, attempts)).rejects.toThrow(ConfigError);
    attempts.close();
  });
});

describe('the whispr CLI', () => {
  let cwd: string;
  beforeAll(() => {
    cwd = mkdtempSync(join(tmpdir(), 'whispr-admin-cli-'));
  });
  afterAll(() => {
    rmSync(cwd, { recursive: true, force: true });
  });

  test('serve exits 2 with a configuration error for a default admin password or secret', async () => {
    const base = { WHISPR_PORT: '0', WHISPR_DATA_DIR: join(cwd, 'data') };
    const weakPassword = await runWhispr(['serve'], { cwd, env: { ...base, ADMIN_PASSWORD: 'admin', ANALYTICS_JWT_SECRET: GOOD_SECRET } });
    expect(weakPassword.code).toBe(2);
    expect(weakPassword.stderr).toMatch(/configuration error: setting "admin_password" \(ADMIN_PASSWORD\)/);
    const defaultSecret = await runWhispr(['serve'], { cwd, env: { ...base, ADMIN_PASSWORD: GOOD_PASSWORD, ANALYTICS_JWT_SECRET: 'change_this_secret_key' } });
    expect(defaultSecret.code).toBe(2);
    expect(defaultSecret.stderr).toMatch(/configuration error: setting "analytics_jwt_secret" \(ANALYTICS_JWT_SECRET\)/);
  });

  test('check-config never prints the password or the secret', async () => {
    const result = await runWhispr(['check-config'], { cwd, env: { ADMIN_PASSWORD: GOOD_PASSWORD, ANALYTICS_JWT_SECRET: GOOD_SECRET } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/\| admin_password \| \(set\) \| env ADMIN_PASSWORD \|/);
    expect(result.stdout).not.toContain(GOOD_PASSWORD);
    expect(result.stdout).not.toContain(GOOD_SECRET);
  });

  test('hash-password prints a scrypt hash of the password on standard input, usable as admin_password', async () => {
    const child = execFile(process.execPath, ['--import', TSX_LOADER, CLI_MAIN, 'hash-password'], { cwd, env: { PATH: process.env.PATH ?? '' } });
    child.stdin!.end('my own pass phrase\n');
    const stdout = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))));
    });
    const hash = parsePasswordHash(stdout.trim());
    expect(hash).toBeDefined();
    expect(await verifyPassword('my own pass phrase', hash!)).toBe(true);
    expect(await verifyPassword('my own pass phrase\n', hash!)).toBe(false);
    expect(load({ ADMIN_PASSWORD: stdout.trim(), ANALYTICS_JWT_SECRET: GOOD_SECRET }).config.admin_password).toBe(stdout.trim());
  });
});
