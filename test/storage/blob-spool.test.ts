import { mkdtempSync, rmSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createBlobSpool } from '../../src/storage/postgres/blob-spool.js';
import { advanceDate, stoppedDate } from '../support/fake-date.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'whispr-spool-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The chunks of `parts`, counting how often they were read. */
function source(...parts: string[]) {
  const reads = { count: 0 };
  async function* chunks() {
    reads.count += 1;
    for (const part of parts) yield Buffer.from(part);
  }
  return { chunks, reads, size: parts.join('').length };
}

test('a blob is written once from its chunks and then served from the spooled file', async () => {
  const spool = createBlobSpool(dir);
  const blob = source('hello ', 'world');
  const path = await spool.pathOf('a', blob.size, blob.chunks);
  expect(path).toBe(join(dir, 'a.bin'));
  expect(await readFile(path as string, 'utf8')).toBe('hello world');
  expect(await spool.pathOf('a', blob.size, blob.chunks)).toBe(path);
  expect(blob.reads.count).toBe(1);
  await spool.discard('a');
  expect(await readdir(dir)).toEqual([]);
});

test('chunks that do not add up to the size (blob deleted while read) give undefined and leave no file', async () => {
  const spool = createBlobSpool(dir);
  const truncated = source('hello');
  expect(await spool.pathOf('a', 11, truncated.chunks)).toBeUndefined();
  expect(await readdir(dir)).toEqual([]);
});

describe('sweeping', () => {
  // The spool's clock is Date, stopped here and moved by advanceDate. A file written new gets the
  // real time as its mtime: the 10 s keepMs leaves seconds of room for the real time a test takes.
  stoppedDate();

  test('files nobody asked for within keepMs are swept; one asked for again stays', async () => {
    const spool = createBlobSpool(dir, 10_000);
    const blob = source('x');
    await spool.pathOf('old', 1, blob.chunks);
    await spool.pathOf('kept', 1, blob.chunks);
    advanceDate(6_000);
    await spool.pathOf('kept', 1, blob.chunks); // touched: its idle time starts again
    advanceDate(6_000);
    await spool.pathOf('new', 1, blob.chunks); // more than keepMs / 2 since the last sweep: sweeps
    expect((await readdir(dir)).sort()).toEqual(['kept.bin', 'new.bin']);
  });
});
