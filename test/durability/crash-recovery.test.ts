import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateIdentity, WhisprClient, type Identity, type InboxMessage, toHex, text } from 'whispr-sdk';
import { killAllChildren, killChild, startChildServer } from './child-server.js';

const N = 200;
const CONCURRENCY = 16;

interface Accepted {
  id: number;
  to: string;
  from: string;
  plaintext: string;
}

describe('durability: SIGKILL after acknowledged sends', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await killAllChildren();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('every acknowledged message is delivered exactly once after a restart on the same data dir', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'whispr-crash-'));
    dirs.push(dataDir);
    const first = await startChildServer(dataDir);

    const senders: Identity[] = Array.from({ length: 5 }, () => generateIdentity());
    const recipients: Identity[] = Array.from({ length: 3 }, () => generateIdentity());
    const client = (url: string, identity: Identity) => new WhisprClient({ baseUrl: url, identity, auth: 'none' });
    const address = (identity: Identity) => toHex(identity.encryption.publicKey);

    // message ciphertext (base64) -> what the server acknowledged for it
    const accepted = new Map<string, Accepted>();
    const failures: string[] = [];
    let next = 0;
    let inFlight = 0;
    const worker = async () => {
      while (next < N) {
        const i = next++;
        const sender = client(first.url, senders[i % senders.length]!);
        const to = address(recipients[i % recipients.length]!);
        const plaintext = `message ${i}`;
        const body = sender.buildSend(to, plaintext);
        inFlight += 1;
        try {
          const result = await sender.sendBody(body);
          expect(result.duplicate).toBe(false);
          accepted.set(body.message, { id: result.id, to, from: sender.signingKey, plaintext });
        } catch (err) {
          failures.push(String(err));
        } finally {
          inFlight -= 1;
        }
        // Right after the last acknowledgement, the process dies without any chance to flush.
        if (inFlight === 0 && next >= N) killChild(first.child);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    killChild(first.child);
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(failures).toEqual([]);
    expect(accepted.size).toBe(N);

    const second = await startChildServer(dataDir);
    const delivered: Array<InboxMessage & { recipient: string }> = [];
    for (const recipient of recipients) {
      const inbox = client(second.url, recipient);
      for (;;) {
        const batch = await inbox.fetchInbox();
        if (batch.length === 0) break;
        for (const m of batch) {
          const opened = inbox.open(m);
          expect(opened.verified).toBe(true);
          expect(accepted.get(m.message)?.plaintext).toBe(text(opened.plaintext));
          delivered.push({ ...m, recipient: inbox.address });
        }
      }
    }

    // Exactly once: no duplicates, nothing missing, nothing unknown, each to the right inbox.
    const seen = new Map<string, number>();
    for (const m of delivered) seen.set(m.message, (seen.get(m.message) ?? 0) + 1);
    expect([...seen.values()].filter((n) => n !== 1)).toEqual([]);
    expect(delivered).toHaveLength(N);
    for (const m of delivered) {
      const sent = accepted.get(m.message);
      expect(sent, 'a delivered message that was never acknowledged').toBeDefined();
      expect({ id: m.id, to: m.recipient, from: m.from }).toEqual({ id: sent!.id, to: sent!.to, from: sent!.from });
    }
    expect(new Set(delivered.map((m) => m.id)).size).toBe(N);

    // The destructive drain itself is durable: after another crash nothing comes back.
    killChild(second.child);
    await second.exited;
    const third = await startChildServer(dataDir);
    for (const recipient of recipients) expect(await client(third.url, recipient).fetchInbox()).toEqual([]);
  });
  it('a SIGKILL in the middle of a burst loses no acknowledged message and duplicates none', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'whispr-crash-mid-'));
    dirs.push(dataDir);
    const first = await startChildServer(dataDir);
    const senders = Array.from({ length: 4 }, () => new WhisprClient({ baseUrl: first.url, identity: generateIdentity(), auth: 'none' }));
    const recipients = Array.from({ length: 2 }, () => generateIdentity());
    const to = (i: number) => toHex(recipients[i % recipients.length]!.encryption.publicKey);

    const attempted = new Set<string>();
    const acknowledged = new Map<string, number>();
    let next = 0;
    const worker = async () => {
      while (next < N && first.child.exitCode === null && first.child.signalCode === null) {
        const i = next++;
        const body = senders[i % senders.length]!.buildSend(to(i), `burst ${i}`);
        attempted.add(body.message);
        try {
          const result = await senders[i % senders.length]!.sendBody(body);
          acknowledged.set(body.message, result.id);
          // Killed with requests still in flight.
          if (acknowledged.size === N / 2) killChild(first.child);
        } catch {
          // refused connection or reset: not acknowledged
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    await first.exited;
    expect(acknowledged.size).toBeGreaterThanOrEqual(N / 2);

    const second = await startChildServer(dataDir);
    const delivered: InboxMessage[] = [];
    for (const recipient of recipients) {
      const inbox = new WhisprClient({ baseUrl: second.url, identity: recipient, auth: 'none' });
      for (let batch = await inbox.fetchInbox(); batch.length > 0; batch = await inbox.fetchInbox()) delivered.push(...batch);
    }
    const ciphertexts = delivered.map((m) => m.message);
    expect(new Set(ciphertexts).size).toBe(ciphertexts.length);
    expect(ciphertexts.filter((c) => !attempted.has(c))).toEqual([]);
    const byCiphertext = new Map(delivered.map((m) => [m.message, m.id]));
    const missing = [...acknowledged].filter(([c, id]) => byCiphertext.get(c) !== id);
    expect(missing).toEqual([]);
  });
});
