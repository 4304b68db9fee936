import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startServer, type RunningServer } from '../support/test-server.js';
import { PYTHON, requirePyNaCl } from './python.js';
import { text } from 'whispr-sdk';

const SCRIPT = new URL('./original_client.py', import.meta.url).pathname;
const available = requirePyNaCl();

// Asynchronous: the server under test runs in this process and must keep answering.
const run = promisify(execFile);
const python = async (...args: string[]) => JSON.parse((await run(PYTHON, [SCRIPT, ...args], { encoding: 'utf8', timeout: 15_000 })).stdout) as unknown;

describe.skipIf(!available)('the original Python client (PyNaCl) against a compat server', () => {
  let s: RunningServer;
  let identityFile: string;
  let pyAddress: string;
  let pySigningKey: string;

  beforeAll(async () => {
    s = await startServer({ security: 'compat' });
    const identity = (await python('keygen')) as { x25519_public: string; ed25519_public: string };
    identityFile = join(s.dataDir, 'py-identity.json');
    writeFileSync(identityFile, JSON.stringify(identity));
    pyAddress = identity.x25519_public;
    pySigningKey = identity.ed25519_public;
  });
  afterAll(async () => s.stop());

  test('a message sealed by the SDK opens in PyNaCl, fetched by the original inbox call', async () => {
    const sdk = s.client({ auth: 'none' });
    await sdk.send(pyAddress, 'hello from TypeScript ✓');
    const inbox = (await python('inbox', s.url, identityFile)) as Array<{ text: string; enc_pub: string }>;
    expect(inbox).toEqual([expect.objectContaining({ text: 'hello from TypeScript ✓', enc_pub: sdk.address })]);
    expect(await python('inbox', s.url, identityFile)).toEqual([]);
  });

  test('a message sent by the original client verifies and opens in the SDK', async () => {
    const sdk = s.client({ auth: 'none' });
    const answer = (await python('send', s.url, identityFile, sdk.address, 'hello from Python')) as { status: string };
    expect(answer.status).toBe('ok');
    const [message, ...rest] = await sdk.fetchInbox();
    expect(rest).toEqual([]);
    expect(message?.from).toBe(pySigningKey);
    const opened = sdk.open(message!);
    expect(opened.verified).toBe(true);
    expect(text(opened.plaintext)).toBe('hello from Python');
  });

  test('an attachment uploaded by the original client downloads for its recipient only', async () => {
    const recipient = s.client({ auth: 'none' });
    const { att_id } = (await python('upload', s.url, identityFile, recipient.address, 'notes.txt', 'attachment body')) as { att_id: string };
    const file = await recipient.download(att_id);
    expect(text(file.bytes)).toBe('attachment body');
    expect(file.name).toBe('notes.txt');
    await expect(s.client({ auth: 'none' }).download(att_id)).rejects.toMatchObject({ status: 404 });
  });
});
