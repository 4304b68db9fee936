import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { openEmbeddedStorage } from '../../src/storage/sqlite/open-embedded-storage.js';
import { capOf } from './queue-caps.js';

const dirs: string[] = [];
afterEach(() =>
  dirs.splice(0).forEach((d) => {
    rmSync(d, { recursive: true, force: true });
  }),
);

const message = (recipient: string, n: number) => ({
  recipient,
  from: 'b'.repeat(64),
  enc_pub: 'c'.repeat(64),
  message: Buffer.from(`ct${n}`).toString('base64'),
  signature: `sig${n}`,
  timestamp: 1000 + n,
  replayKey: `r${n}`,
  expiresAt: null,
  replayExpiresAt: 10_000,
  fromAddress: '127.0.0.1',
});

test('a message leased by a push that died with the process is deliverable right after restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'whispr-store-'));
  dirs.push(dir);
  const recipient = 'a'.repeat(64);
  const first = await openEmbeddedStorage(dir);
  await first.inbox.enqueue(message(recipient, 1), capOf(10), 1000);
  const leased = await first.inbox.lease(recipient, 'all', 1060, 1000);
  expect(leased).toHaveLength(1);
  // While leased, /inbox does not hand it out.
  expect(await first.inbox.drain(recipient, 0, 10, 1001)).toEqual([]);
  await first.close(); // the process "dies" between writing the frame and confirming it

  const second = await openEmbeddedStorage(dir);
  const drained = await second.inbox.drain(recipient, 0, 10, 1001);
  expect(drained.map((m) => m.message)).toEqual([message(recipient, 1).message]);
  await second.close();
});
