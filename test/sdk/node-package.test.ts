/**
 * The package as npm would install it: built with tsc, packed with `npm pack` (so `files` and
 * `exports` are the published ones), unpacked into a fresh node_modules, then imported by plain
 * Node (no tsx, no source condition) and by a strict TypeScript consumer (declarations present).
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../support/test-server.js';
import { EXPECTED_ROUND_TRIP, roundTrip } from './round-trip.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../', import.meta.url));
const tsc = join(repo, 'node_modules/typescript/bin/tsc');

describe('whispr-sdk as published', () => {
  let srv: RunningServer;
  let dir = '';
  let app = '';
  beforeAll(async () => {
    srv = await startServer();
    dir = mkdtempSync(join(tmpdir(), 'whispr-sdk-package-'));
    const pkg = join(dir, 'pkg');
    mkdirSync(pkg);
    copyFileSync(join(repo, 'packages/sdk/package.json'), join(pkg, 'package.json'));
    await run(process.execPath, [tsc, '-p', join(repo, 'packages/sdk/tsconfig.json'), '--outDir', join(pkg, 'dist')]);
    await run('npm', ['pack', '--pack-destination', dir], { cwd: pkg });
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
    app = join(dir, 'app');
    const installed = join(app, 'node_modules/whispr-sdk');
    mkdirSync(installed, { recursive: true });
    await run('tar', ['-xzf', join(dir, tarball), '-C', installed, '--strip-components=1']);
    // Its one dependency (and that one's), as npm would install them next to it.
    for (const dep of ['libsodium-wrappers', 'libsodium']) symlinkSync(join(repo, 'node_modules', dep), join(app, 'node_modules', dep));
  }, 120_000);
  afterAll(async () => {
    await srv?.stop();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('holds only the build: JavaScript and declarations, no sources', () => {
    const files = readdirSync(join(app, 'node_modules/whispr-sdk'), { recursive: true }).map(String).sort();
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files).toContain('dist/wire/index.d.ts');
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  });

  it('plain Node imports it and completes a round trip against a real server', async () => {
    const script = `import * as sdk from 'whispr-sdk';\nconst roundTrip = ${roundTrip.toString()};\nconsole.log(JSON.stringify(await roundTrip(sdk, process.argv[2])));\n`;
    writeFileSync(join(app, 'round-trip.mjs'), script);
    const { stdout } = await run(process.execPath, [join(app, 'round-trip.mjs'), srv.url], { cwd: app, timeout: 20_000 });
    expect(JSON.parse(stdout)).toEqual(EXPECTED_ROUND_TRIP);
  });

  it('a strict TypeScript consumer type-checks against its declarations (no TS7016)', async () => {
    writeFileSync(
      join(app, 'consumer.ts'),
      "import { generateIdentity, WhisprClient, type FileEnvelope } from 'whispr-sdk';\nimport type { PrekeyBundle } from 'whispr-sdk/wire';\n" +
        "const client = new WhisprClient({ baseUrl: 'http://127.0.0.1:8000', identity: generateIdentity() });\n" +
        'export const checks: [string, FileEnvelope | undefined, PrekeyBundle | undefined] = [client.address, undefined, undefined];\n',
    );
    const options = ['--strict', '--noEmit', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--lib', 'es2023,dom'];
    const result = await run(process.execPath, [tsc, ...options, 'consumer.ts'], { cwd: app }).catch((err: { stdout: string }) => err);
    expect(result.stdout).toBe('');
  });
});
