/** GET /inbox/{key}: wire shape, destructive fetch, key proofs, `since`, concurrency and expiry. */
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { advanceDate } from '../support/fake-date.js';
import { startServer, type RunningServer } from '../support/test-server.js';
import { expectError, getJson } from './helpers.js';
import { statusFigure } from '../support/server-status.js';
import { text } from 'whispr-sdk';

let srv: RunningServer;
beforeAll(async () => {
  srv = await startServer({ max_messages_per_second: 1_000 });
});
afterAll(() => srv.stop());

const inboxPath = (key: string) => `/inbox/${key}`;

describe('fetching', () => {
  test('queued messages come back in the Whispr shape, open and verify, and are removed', async () => {
    const alice = srv.client();
    const bob = srv.client();
    const sent = [await alice.send(bob.address, 'first'), await alice.send(bob.address, Buffer.from([0, 1, 2, 255]))];
    const inbox = await bob.fetchInbox();
    expect(inbox.map((m) => m.id)).toEqual(sent.map((s) => s.id));
    for (const [i, m] of inbox.entries()) {
      expect(Object.keys(m).sort()).toEqual(['enc_pub', 'from', 'id', 'message', 'signature', 'timestamp']);
      expect(m).toMatchObject({ from: alice.signingKey, enc_pub: alice.address, timestamp: sent[i]!.timestamp });
    }
    const opened = inbox.map((m) => bob.open(m));
    expect(opened.every((o) => o.verified)).toBe(true);
    expect(text(opened[0]!.plaintext)).toBe('first');
    expect([...opened[1]!.plaintext]).toEqual([0, 1, 2, 255]);
    expect(await bob.fetchInbox()).toEqual([]);
  });

  test('a recipient only gets its own messages', async () => {
    const alice = srv.client();
    const bob = srv.client();
    const carol = srv.client();
    await alice.send(bob.address, 'for bob');
    await alice.send(carol.address, 'for carol');
    const bobs = await bob.fetchInbox();
    expect(bobs.map((m) => text(bob.open(m).plaintext))).toEqual(['for bob']);
    expect((await carol.fetchInbox()).map((m) => text(carol.open(m).plaintext))).toEqual(['for carol']);
  });

  test('a since far in the future returns nothing and keeps the messages', async () => {
    const alice = srv.client();
    const bob = srv.client();
    await alice.send(bob.address, 'kept');
    expect(await bob.fetchInbox(Date.now() / 1000 + 86_400 * 365)).toEqual([]);
    expect(await bob.fetchInbox()).toHaveLength(1);
  });

  test('a message back-dated within the clock skew is still returned after since = last seen timestamp', async () => {
    const alice = srv.client();
    const bob = srv.client();
    await alice.send(bob.address, 'first');
    const [first] = await bob.fetchInbox();
    expect(first).toBeDefined();
    const backDated = Date.now() / 1000 - 10;
    expect(backDated).toBeLessThan(first!.timestamp);
    await alice.sendBody(alice.buildSend(bob.address, 'late', backDated));
    const next = await bob.fetchInbox(first!.timestamp);
    expect(next.map((m) => text(bob.open(m).plaintext))).toEqual(['late']);
  });

  test('a non-numeric since is 400 and removes nothing', async () => {
    const alice = srv.client();
    const bob = srv.client();
    await alice.send(bob.address, 'kept');
    const token = await bob.authenticate();
    expectError(await getJson(srv.url, `${inboxPath(bob.address)}?since=soon`, { authorization: `Bearer ${token}` }), 400, 'VALIDATION_FAILED');
    expect(await bob.fetchInbox()).toHaveLength(1);
  });

  test('50 queued messages fetched by 10 parallel requests are each delivered exactly once', async () => {
    const bob = srv.client();
    const senders = [srv.client(), srv.client()];
    const sent = await Promise.all(Array.from({ length: 50 }, (_, i) => senders[i % 2]!.send(bob.address, `m${i}`)));
    await bob.authenticate();
    const batches = await Promise.all(Array.from({ length: 10 }, () => bob.fetchInbox()));
    const ids = batches.flat().map((m) => m.id);
    expect(ids).toHaveLength(50);
    expect(new Set(ids)).toEqual(new Set(sent.map((s) => s.id)));
  });
});

describe('strict mode: only the key holder drains an inbox', () => {
  test('no token is 401 TOKEN_REQUIRED and nothing is removed', async () => {
    const alice = srv.client();
    const bob = srv.client();
    await alice.send(bob.address, 'private');
    expectError(await getJson(srv.url, inboxPath(bob.address)), 401, 'TOKEN_REQUIRED');
    expect(await bob.fetchInbox()).toHaveLength(1);
  });

  test("another key's token is 403 KEY_MISMATCH and nothing is removed", async () => {
    const alice = srv.client();
    const bob = srv.client();
    const mallory = srv.client();
    await alice.send(bob.address, 'private');
    const malloryToken = await mallory.authenticate('x25519');
    expectError(await getJson(srv.url, inboxPath(bob.address), { authorization: `Bearer ${malloryToken}` }), 403, 'KEY_MISMATCH');
    // Bob's own signing-key token proves the Ed25519 key, not the X25519 inbox address.
    const bobSigning = await bob.authenticate('ed25519');
    expectError(await getJson(srv.url, inboxPath(bob.address), { authorization: `Bearer ${bobSigning}` }), 403, 'KEY_MISMATCH');
    expect(await bob.fetchInbox()).toHaveLength(1);
  });

  test('a garbage or tampered token is 401 TOKEN_INVALID', async () => {
    const alice = srv.client();
    const bob = srv.client();
    await alice.send(bob.address, 'private');
    expectError(await getJson(srv.url, inboxPath(bob.address), { authorization: 'Bearer not-a-token' }), 401, 'TOKEN_INVALID');
    const token = await bob.authenticate();
    const tampered = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
    expectError(await getJson(srv.url, inboxPath(bob.address), { authorization: `Bearer ${tampered}` }), 401, 'TOKEN_INVALID');
    expect(await bob.fetchInbox()).toHaveLength(1);
  });
});

describe('compat mode', () => {
  test('the original unauthenticated fetch drains the inbox', async () => {
    const compat = await startServer({ security: 'compat' });
    try {
      const alice = compat.client({ auth: 'none' });
      const bob = compat.client({ auth: 'none' });
      await alice.send(bob.address, 'hi');
      const inbox = await bob.fetchInbox();
      expect(inbox.map((m) => text(bob.open(m).plaintext))).toEqual(['hi']);
      expect(await bob.fetchInbox()).toEqual([]);
    } finally {
      await compat.stop();
    }
  });
});

describe('expiry', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  test('with message_ttl_seconds 1 an old message is not returned and cleanup deletes it', async () => {
    // Date stopped before the server starts: the TTL lapses when the test moves it, not with load.
    vi.useFakeTimers({ toFake: ['Date'] });
    const short = await startServer({ message_ttl_seconds: 1 });
    try {
      const alice = short.client();
      const bob = short.client();
      await alice.send(bob.address, 'soon gone');
      await bob.authenticate();
      advanceDate(1_100);
      expect(await bob.fetchInbox()).toEqual([]);
      expect(await statusFigure(short, 'queued_messages')).toBe(1);
      await short.server.runCleanup();
      expect(await statusFigure(short, 'queued_messages')).toBe(0);
    } finally {
      await short.stop();
    }
  });

  test('with message_ttl_seconds 0 messages never expire', async () => {
    // compat: bearer tokens would expire across the clock jump; the queue is what is tested here.
    const forever = await startServer({ message_ttl_seconds: 0, security: 'compat' });
    try {
      const alice = forever.client({ auth: 'none' });
      const bob = forever.client({ auth: 'none' });
      await alice.send(bob.address, 'still here');
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + 400 * 86_400_000);
      await forever.server.runCleanup();
      expect(await statusFigure(forever, 'queued_messages')).toBe(1);
      const inbox = await bob.fetchInbox();
      expect(inbox.map((m) => text(bob.open(m).plaintext))).toEqual(['still here']);
    } finally {
      vi.useRealTimers();
      await forever.stop();
    }
  });

  test('the same clock jump does expire messages under the default TTL', async () => {
    const normal = await startServer({ security: 'compat' });
    try {
      const alice = normal.client({ auth: 'none' });
      const bob = normal.client({ auth: 'none' });
      await alice.send(bob.address, 'expires');
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + (normal.config.message_ttl_seconds + 1) * 1000);
      expect(await bob.fetchInbox()).toEqual([]);
      await normal.server.runCleanup();
      expect(await statusFigure(normal, 'queued_messages')).toBe(0);
    } finally {
      vi.useRealTimers();
      await normal.stop();
    }
  });
});
