import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createWhisprServer, type WhisprServer } from '../../src/app/whispr-server.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/settings.js';
import { generateIdentity, WhisprClient, WhisprError } from 'whispr-sdk';
import { advanceDate, stoppedDate } from '../support/fake-date.js';
import { startServer, type RunningServer } from '../support/test-server.js';
import { blobPath } from './upload.js';

// Attachment expiry is kept by Date: stopped, the 1 s TTLs below lapse only when advanceDate says so.
stoppedDate();

async function status(promise: Promise<unknown>): Promise<number> {
  return promise.then(
    () => 200,
    (err: unknown) => {
      if (err instanceof WhisprError) return err.status;
      throw err;
    },
  );
}

describe('attachments: expiry', () => {
  let srv: RunningServer | undefined;
  afterEach(async () => {
    await srv?.stop();
    srv = undefined;
  });

  it('after attachment_ttl_seconds the download is 404, and cleanup deletes the file', async () => {
    srv = await startServer({ attachment_ttl_seconds: 1 });
    const alice = srv.client();
    const bob = srv.client();
    const bytes = randomBytes(2000);
    const attId = await alice.uploadRaw(bob.address, bytes, 'soon-gone.bin');
    expect(Buffer.from(await bob.downloadRaw(attId)).equals(bytes)).toBe(true);
    const file = blobPath(srv.dataDir, attId);
    expect(existsSync(file)).toBe(true);

    advanceDate(1_200);
    expect(await status(bob.download(attId))).toBe(404);
    expect(await status(bob.downloadRaw(attId))).toBe(404);

    await srv.server.runCleanup();
    expect(existsSync(file)).toBe(false);
    expect(await status(bob.download(attId))).toBe(404);
  });

  it('the same bytes for two recipients: each downloads, a third cannot', async () => {
    srv = await startServer();
    const alice = srv.client();
    const bob = srv.client();
    const carol = srv.client();
    const eve = srv.client();
    const bytes = randomBytes(500);
    const forBob = await alice.uploadRaw(bob.address, bytes, 'for-bob');
    const forCarol = await alice.uploadRaw(carol.address, bytes, 'for-carol');
    expect(forCarol).toBe(forBob);
    expect(await bob.download(forBob)).toMatchObject({ bytes: new Uint8Array(bytes), name: 'for-bob' });
    expect(await carol.download(forBob)).toMatchObject({ bytes: new Uint8Array(bytes), name: 'for-carol' });
    expect(await status(eve.download(forBob))).toBe(404);
  });
});

describe('attachments: one grant expiring keeps the file for another', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'whispr-att-expiry-'));
  let server: WhisprServer | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  /** A server on `dataDir` (so it can be restarted with other settings). */
  async function start(overrides: Partial<Config>): Promise<string> {
    const { config } = loadConfig({
      env: {},
      file: undefined,
      overrides: { host: '127.0.0.1', port: 0, data_dir: dataDir, log_level: 'silent', ...overrides },
    });
    server = await createWhisprServer(config, { logger: pino({ level: 'silent' }) });
    return server.listen();
  }

  it('expiring the grant of one recipient keeps the file for the other, across a restart', async () => {
    try {
      const alice = generateIdentity();
      const bob = generateIdentity();
      const carol = generateIdentity();
      const bytes = randomBytes(800);

      // First run: attachments never expire; alice sends the file to bob.
      let url = await start({ attachment_ttl_seconds: 0 });
      const client = (identity = alice) => new WhisprClient({ baseUrl: url, identity });
      const attId = await client().uploadRaw(client(bob).address, bytes, 'shared');
      await server!.close();
      server = undefined;

      // Second run: 1 s expiry; the same bytes to carol, whose grant then lapses.
      url = await start({ attachment_ttl_seconds: 1 });
      const carolClient = client(carol);
      expect(await client().uploadRaw(carolClient.address, bytes, 'shared')).toBe(attId);
      expect(Buffer.from(await carolClient.downloadRaw(attId)).equals(bytes)).toBe(true);
      advanceDate(1_200);
      await server!.runCleanup();

      expect(await status(carolClient.download(attId))).toBe(404);
      expect(existsSync(blobPath(dataDir, attId))).toBe(true);
      expect(Buffer.from(await client(bob).downloadRaw(attId)).equals(bytes)).toBe(true);
      expect(await client(bob).download(attId)).toMatchObject({ bytes: new Uint8Array(bytes), from: client().signingKey });
    } finally {
      await server?.close();
      server = undefined;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
