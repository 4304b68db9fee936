import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importIdentity, openSealed, seal, sign, text, verify } from 'whispr-sdk';
import { runWhispr } from './cli.js';

// An empty working directory: no ./settings.json is picked up.
const cwd = mkdtempSync(join(tmpdir(), 'whispr-cli-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

/** The table row for a setting: [key, value, from, ...]. */
function row(output: string, key: string): string[] | undefined {
  const line = output.split('\n').find((l) => l.startsWith(`| ${key} |`));
  return line
    ?.split('|')
    .slice(1, -1)
    .map((c) => c.trim());
}

describe.concurrent('whispr check-config', () => {
  it('prints the effective configuration and the limits table, with flags applied', async () => {
    const result = await runWhispr(['check-config', '--port', '9001'], { cwd });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const { stdout } = result;
    expect(stdout).toContain('Effective configuration');
    expect(stdout).toContain('Limits');
    expect(stdout.indexOf('Effective configuration')).toBeLessThan(stdout.indexOf('Limits'));
    expect(row(stdout, 'port')).toEqual(['port', '9001', '--port']);
    expect(row(stdout, 'security')).toEqual(['security', 'strict', 'default']);
    // Limits have a meaning column; the seed limits are all there.
    for (const key of ['max_messages_per_recipient', 'max_messages_per_second', 'message_ttl_seconds', 'attachment_max_size_bytes']) {
      const cells = row(stdout.slice(stdout.indexOf('Limits')), key);
      expect(cells, key).toHaveLength(4);
      expect(cells?.[3]?.length, key).toBeGreaterThan(10);
    }
    expect(row(stdout, 'attachment_max_size_bytes')?.slice(0, 3)).toEqual(['attachment_max_size_bytes', '10485760', 'default']);
  });

  it('reads settings.json from the working directory and the environment, and names the source of each value', async () => {
    const dir = mkdtempSync(join(cwd, 'with-settings-'));
    writeFileSync(join(dir, 'settings.json'), JSON.stringify({ max_messages_per_recipient: 20, message_ttl_seconds: 60 }));
    const result = await runWhispr(['check-config'], { cwd: dir, env: { MAX_MESSAGES_PER_SECOND: '3', WHISPR_PORT: '9002' } });
    expect(result.code).toBe(0);
    expect(row(result.stdout, 'max_messages_per_recipient')?.slice(0, 3)).toEqual(['max_messages_per_recipient', '20', 'settings.json']);
    expect(row(result.stdout, 'message_ttl_seconds')?.slice(0, 3)).toEqual(['message_ttl_seconds', '60', 'settings.json']);
    expect(row(result.stdout, 'max_messages_per_second')?.slice(0, 3)).toEqual(['max_messages_per_second', '3', 'env MAX_MESSAGES_PER_SECOND']);
    expect(row(result.stdout, 'port')).toEqual(['port', '9002', 'env WHISPR_PORT']);
  });

  it('never prints the token secret', async () => {
    const secret = 'do-not-print-this-secret-value';
    const result = await runWhispr(['check-config'], { cwd, env: { WHISPR_JWT_SECRET: secret } });
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain(secret);
    expect(row(result.stdout, 'jwt_secret')).toEqual(['jwt_secret', '(set)', 'env WHISPR_JWT_SECRET']);
  });

  it('--port abc exits 2 with a message naming the setting', async () => {
    const result = await runWhispr(['check-config', '--port', 'abc'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('configuration error');
    expect(result.stderr).toContain('"port"');
    expect(result.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
  });

  it('a bad settings file or env value exits 2 naming it', async () => {
    const dir = mkdtempSync(join(cwd, 'bad-settings-'));
    writeFileSync(join(dir, 'settings.json'), JSON.stringify({ max_mesages_per_recipient: 20 }));
    const unknownKey = await runWhispr(['check-config'], { cwd: dir });
    expect(unknownKey.code).toBe(2);
    expect(unknownKey.stderr).toContain('max_mesages_per_recipient');

    const badEnv = await runWhispr(['check-config'], { cwd, env: { WHISPR_SECURITY: 'loose' } });
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toContain('security');
  });

  it('--security with an unknown mode is refused naming the option', async () => {
    const result = await runWhispr(['check-config', '--security', 'loose'], { cwd });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('--security');
    expect(result.stderr).toContain('strict');
  });
});

describe.concurrent('whispr keygen', () => {
  it('prints a fresh identity as JSON with keys of the right lengths, and the keys work', async () => {
    const [a, b] = await Promise.all([runWhispr(['keygen'], { cwd }), runWhispr(['keygen'], { cwd })]);
    expect(a.code).toBe(0);
    const exported = JSON.parse(a.stdout) as { encryption: { public_key: string; secret_key: string }; signing: { public_key: string; secret_key: string } };
    expect(exported.encryption.public_key).toMatch(/^[0-9a-f]{64}$/);
    expect(exported.encryption.secret_key).toMatch(/^[0-9a-f]{64}$/);
    expect(exported.signing.public_key).toMatch(/^[0-9a-f]{64}$/);
    expect(exported.signing.secret_key).toMatch(/^[0-9a-f]{128}$/);
    expect(JSON.parse(b.stdout)).not.toEqual(exported);

    const identity = importIdentity(exported);
    const message = Buffer.from('keygen works');
    expect(verify(identity.signing.publicKey, message, sign(identity.signing, message))).toBe(true);
    expect(text(openSealed(identity.encryption, seal(identity.encryption.publicKey, message)))).toBe('keygen works');
  });

  it('--out writes the identity with mode 0600 and refuses to overwrite an existing file', async () => {
    const out = join(cwd, 'id.json');
    const first = await runWhispr(['keygen', '--out', out], { cwd });
    expect(first.code).toBe(0);
    expect(first.stdout).toBe('');
    expect(existsSync(out)).toBe(true);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const saved = readFileSync(out, 'utf8');
    expect(JSON.parse(saved)).toHaveProperty('signing.secret_key');

    const second = await runWhispr(['keygen', '--out', out], { cwd });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('already exists');
    expect(second.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    expect(readFileSync(out, 'utf8')).toBe(saved);
  });
});
