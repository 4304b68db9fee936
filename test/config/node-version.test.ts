import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { runWhispr } from './cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PRETEND_NODE_20 = fileURLToPath(new URL('./pretend-node-20.cjs', import.meta.url));
const REFUSAL = 'Whispr needs Node.js >= 22, found 20.20.2';

describe('an unsupported Node.js is refused with one clear line', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'whispr-node-version-'));
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  test('the whispr command stops before loading anything else', async () => {
    const result = await runWhispr(['check-config'], { cwd, env: { NODE_OPTIONS: `--require ${PRETEND_NODE_20}` } });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(REFUSAL);
    expect(result.stdout).toBe('');
  });

  test('npm install and npm start run the same check first', () => {
    const { scripts, engines } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; engines: { node: string } };
    expect(engines.node).toBe('>=22');
    expect(scripts.preinstall).toBe('node scripts/require-node.cjs');
    expect(scripts.prestart).toBe('node scripts/require-node.cjs');
    let refused: { status: number; stderr: string } | undefined;
    try {
      execFileSync(process.execPath, ['--require', PRETEND_NODE_20, 'scripts/require-node.cjs'], { cwd: ROOT, stdio: 'pipe' });
    } catch (err) {
      refused = { status: (err as { status: number }).status, stderr: String((err as { stderr: Buffer }).stderr) };
    }
    expect(refused).toEqual({ status: 1, stderr: `${REFUSAL}\n` });
  });

  test('this runtime passes', () => {
    expect(() => execFileSync(process.execPath, ['scripts/require-node.cjs'], { cwd: ROOT, stdio: 'pipe' })).not.toThrow();
  });
});
