// What an operator reads after `whispr serve`: one summary line with the address, mode, storage and
// where it is, the data directory, the settings file, the metrics listener, the schema version and
// the dialects; and a warning for a misspelt WHISPR_* variable (serve and check-config alike).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SQLITE_MIGRATIONS } from '../../src/storage/sqlite/migrations.js';
import { runWhispr } from '../config/cli.js';
import { eventually } from '../support/eventually.js';
import { killAllChildren, startChildServer } from '../durability/child-server.js';
import { freePort } from '../support/free-port.js';

const cwd = mkdtempSync(join(tmpdir(), 'whispr-summary-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));
afterEach(killAllChildren);

/** The JSON log lines with this message. */
const logLines = (output: string, msg: string) =>
  output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => entry.msg === msg);

describe('whispr serve startup summary', () => {
  it('says where everything is in one line, and warns about an unknown WHISPR_ variable', async () => {
    const dataDir = mkdtempSync(join(cwd, 'data-'));
    const settings = join(cwd, 'settings.json');
    writeFileSync(settings, JSON.stringify({ max_messages_per_recipient: 50 }));
    const metricsPort = await freePort();
    const server = await startChildServer(dataDir, {
      WHISPR_LOG_LEVEL: 'info',
      WHISPR_CONFIG: settings,
      WHISPR_METRICS_PORT: String(metricsPort),
      WHISPR_MAX_MESAGES_PER_RECIPIENT: '5',
    });
    await eventually(() => server.output().includes('"msg":"whispr listening"'));
    const [summary, ...more] = logLines(server.output(), 'whispr listening');
    expect(more).toEqual([]);
    expect(summary).toMatchObject({
      address: server.url,
      security: 'compat',
      storage: 'sqlite',
      storage_location: join(dataDir, 'whispr.sqlite'),
      data_dir: dataDir,
      settings_file: settings,
      metrics: `http://127.0.0.1:${metricsPort}/metrics`,
      schema_version: SQLITE_MIGRATIONS.length,
      migrated: Array.from({ length: SQLITE_MIGRATIONS.length }, (_, i) => i + 1),
      bus: 'local',
    });
    expect(summary?.websocket_dialects).toEqual(expect.arrayContaining(['whispr', 'rooms', 'signal', 'account', 'events']));
    expect(summary?.features).toEqual(expect.arrayContaining(['relay', 'groups', 'chat']));
    const warnings = server
      .output()
      .split('\n')
      .filter((line) => line.includes('WHISPR_MAX_MESAGES_PER_RECIPIENT'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('did you mean WHISPR_MAX_MESSAGES_PER_RECIPIENT?');
  });

  it('check-config prints the same warning on stderr and still succeeds', async () => {
    const result = await runWhispr(['check-config'], { cwd, env: { WHISPR_PROT: '9000' } });
    expect(result.code).toBe(0);
    expect(result.stderr.trim()).toBe(
      'whispr: warning: unknown environment variable WHISPR_PROT is ignored; did you mean WHISPR_PORT? (whispr check-config lists every setting)',
    );
  });
});
