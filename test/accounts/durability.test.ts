/** Pending private-comm messages survive a SIGKILL right after their 'sent' frames. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AccountClient } from 'whispr-sdk';
import { killAllChildren, killChild, startChildServer } from '../durability/child-server.js';
import { eventually } from '../support/test-server.js';
import { accountSocket, ask, identityKey, phoneHash } from './account-kit.js';

const N = 50;
const ENV = {
  WHISPR_WEBSOCKET_FRAMES_PER_SECOND: '100000',
  WHISPR_ACCOUNT_AUTH_PER_MINUTE: '100000',
  WHISPR_ACCOUNT_REGISTER_PER_HOUR: '100000',
};

describe('durability of pending messages', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await killAllChildren();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it(`${N} messages acknowledged with 'sent' to an offline user arrive after a SIGKILL and restart: all, in order, once`, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'whispr-accounts-crash-'));
    dirs.push(dataDir);
    const first = await startChildServer(dataDir, ENV);

    const alice = new AccountClient(first.url, phoneHash(), identityKey());
    const bob = new AccountClient(first.url, phoneHash(), identityKey());
    await alice.register(1);
    await bob.register(1);
    const sa = await accountSocket(first.url, await alice.accessToken());

    // Killed in the same tick that the last acknowledgement is read: no chance to flush anything.
    const acknowledged: string[] = [];
    sa.ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { type: string; message_id: string };
      if (frame.type !== 'sent') return;
      acknowledged.push(frame.message_id);
      if (acknowledged.length === N) killChild(first.child);
    });
    const payloads = Array.from({ length: N }, (_, i) => Buffer.from(`pending ${i}`).toString('base64'));
    for (const payload of payloads) sa.send({ type: 'encrypted_message', recipient_id: bob.userId, payload });
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(acknowledged).toHaveLength(N);
    expect(sa.frames.filter((f) => f.type !== 'sent')).toEqual([]);

    const second = await startChildServer(dataDir, ENV);
    const bobAgain = new AccountClient(second.url, bob.phoneHash, bob.identity);
    const sb = await accountSocket(second.url, await bobAgain.accessToken());
    expect(bobAgain.userId).toBe(bob.userId);
    await eventually(() => sb.frames.length >= N, 5_000);

    // Nothing else is waiting: a fresh message from Alice comes right after the 50.
    const aliceAgain = new AccountClient(second.url, alice.phoneHash, alice.identity);
    const sa2 = await accountSocket(second.url, await aliceAgain.accessToken());
    const marker = await ask(sa2, { type: 'encrypted_message', recipient_id: bob.userId, payload: 'bWFya2Vy' });
    await sb.next((f) => f.message_id === marker.message_id);

    const delivered = sb.frames.filter((f) => f.type === 'encrypted_message' && f.message_id !== marker.message_id);
    expect(delivered.map((f) => f.message_id)).toEqual(acknowledged);
    expect(delivered.map((f) => f.payload)).toEqual(payloads);
    expect(new Set(delivered.map((f) => f.sender_id))).toEqual(new Set([alice.userId]));
    expect(sb.frames.at(-1)?.message_id).toBe(marker.message_id);
    sa.ws.terminate();
    sa2.ws.close();
    sb.ws.close();
  });
});
