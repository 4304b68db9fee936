import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateIdentity, WhisprClient, type InboxMessage, type PushSubscription, text } from 'whispr-sdk';
import { killAllChildren, startChildServer } from './child-server.js';

const SHUTDOWN_TIMEOUT_SECONDS = 5;

describe('durability: SIGTERM', () => {
  const dirs: string[] = [];
  const subscriptions: PushSubscription[] = [];
  afterEach(async () => {
    for (const s of subscriptions.splice(0)) s.close();
    await killAllChildren();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('closes push sockets with 1012, stops being ready, exits 0 in time, and keeps queued messages', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'whispr-sigterm-'));
    dirs.push(dataDir);
    const server = await startChildServer(dataDir, { WHISPR_SHUTDOWN_TIMEOUT_SECONDS: String(SHUTDOWN_TIMEOUT_SECONDS) });

    const alice = new WhisprClient({ baseUrl: server.url, identity: generateIdentity(), auth: 'none' });
    const bob = new WhisprClient({ baseUrl: server.url, identity: generateIdentity(), auth: 'none' });
    const carol = new WhisprClient({ baseUrl: server.url, identity: generateIdentity(), auth: 'none' });

    // Bob is connected and receives pushes; carol is offline and has a message waiting.
    const pushed: InboxMessage[] = [];
    let resolveClose: (close: { code: number; reason: string }) => void = () => {};
    const closed = new Promise<{ code: number; reason: string }>((r) => (resolveClose = r));
    const subscription = bob.subscribe((m) => pushed.push(m), { onClose: (code, reason) => resolveClose({ code, reason }) });
    subscriptions.push(subscription);
    await subscription.waitOpen();
    const live = await alice.send(bob.address, 'live');
    const deadline = Date.now() + 5_000;
    while (pushed.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(pushed.map((m) => m.id)).toEqual([live.id]);
    const waiting = await alice.send(carol.address, 'waiting for carol');

    const t0 = Date.now();
    process.kill(server.child.pid!, 'SIGTERM');

    const close = await closed;
    expect(close.code).toBe(1012);
    subscription.close();

    // Shutdown has begun: never ready again (503 on a live connection, or refused).
    const ready = await fetch(`${server.url}/readyz`).then(
      (r) => r.status,
      () => 'refused' as const,
    );
    expect([503, 'refused']).toContain(ready);

    const exit = await server.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - t0).toBeLessThan(SHUTDOWN_TIMEOUT_SECONDS * 1000);
    expect(server.output()).not.toMatch(/shutdown (timed out|failed)/);

    // The undelivered message survived the restart; the pushed one is not handed out again.
    const restarted = await startChildServer(dataDir);
    const carolAgain = new WhisprClient({ baseUrl: restarted.url, identity: carol.identity, auth: 'none' });
    const bobAgain = new WhisprClient({ baseUrl: restarted.url, identity: bob.identity, auth: 'none' });
    const inbox = await carolAgain.fetchInbox();
    expect(inbox.map((m) => m.id)).toEqual([waiting.id]);
    expect(text(carolAgain.open(inbox[0]!).plaintext)).toBe('waiting for carol');
    expect(await bobAgain.fetchInbox()).toEqual([]);
  });

  it('SIGTERM on an idle server exits 0 promptly', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'whispr-sigterm-idle-'));
    dirs.push(dataDir);
    const server = await startChildServer(dataDir, { WHISPR_SHUTDOWN_TIMEOUT_SECONDS: String(SHUTDOWN_TIMEOUT_SECONDS) });
    const t0 = Date.now();
    process.kill(server.child.pid!, 'SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - t0).toBeLessThan(SHUTDOWN_TIMEOUT_SECONDS * 1000);
    // The port is released: nothing answers any more.
    await expect(fetch(`${server.url}/readyz`)).rejects.toThrow();
  });
});
