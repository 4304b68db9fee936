/**
 * Issue 7: structured JSON logs with request ids and levels, and no secrets or metadata in them.
 * One server at level debug writes its log lines into memory; a scenario through the SDK over real
 * HTTP and WebSockets (auth, DMs incl. a bad signature and a 429, inbox, push socket, attachment,
 * group, room, signal) runs against it; then every line is checked.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createWhisprServer, type WhisprServer } from '../../src/app/whispr-server.js';
import { loadConfig } from '../../src/config/load-config.js';
import {
  AccountClient,
  ChatEventsClient,
  encryptedMessage,
  GroupClient,
  newGroupKey,
  WhisprError,
  type InboxMessage,
  generateIdentity,
  WhisprClient,
  toBase64,
  toHex,
} from 'whispr-sdk';
import { collectFrames, openWs, sleep, wsUrl } from '../relay/helpers.js';
import { captureLog } from '../support/log-capture.js';
import { eventually } from '../support/test-server.js';
import { isType, signalPeers } from '../calls/signal-peer.js';

const log = captureLog('debug');
const { lines } = log;

let server: WhisprServer;
let url = '';
let dataDir = '';
const clients: WhisprClient[] = [];
/** Strings that must never appear in a log line. */
const secrets = new Map<string, string>();
const secret = (label: string, value: string | undefined) => {
  if (value !== undefined && value.length >= 8) secrets.set(value, label);
};
/** [sender key, recipient key] pairs that must never appear together in one line. */
const pairs: Array<[string, string]> = [];

function client(): WhisprClient {
  const c = new WhisprClient({ baseUrl: url, identity: generateIdentity() });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'whispr-logs-'));
  const { config } = loadConfig({
    env: {},
    file: undefined,
    overrides: {
      host: '127.0.0.1',
      port: 0,
      data_dir: dataDir,
      log_level: 'debug',
      max_requests_per_ip_per_second: 10_000,
      max_messages_per_second: 2,
      oidc_dev_tokens: true,
    },
  });
  server = await createWhisprServer(config, { logger: log.logger });
  url = await server.listen();
});

afterAll(async () => {
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('log privacy (issue 7)', () => {
  const signalPeer = signalPeers();
  test('a full scenario at level debug leaks no key, ciphertext, signature, token or sender/recipient pair', async () => {
    const alice = client();
    const bob = client();
    const carol = client();

    // Challenge/token auth, both key types.
    secret('alice x25519 token', await alice.authenticate('x25519'));
    secret('alice ed25519 token', await alice.authenticate('ed25519'));
    secret('bob x25519 token', await bob.authenticate('x25519'));
    secret('carol x25519 token', await carol.authenticate('x25519'));

    // Push socket for bob, open before the sends.
    const pushed: InboxMessage[] = [];
    let opened = false;
    const sub = bob.subscribe((m) => pushed.push(m), {
      onOpen: () => {
        opened = true;
      },
    });
    await eventually(() => opened);

    // DM sends alice -> bob (and carol -> bob), then a bad signature, then a 429.
    const sent = alice.buildSend(bob.address, 'hello bob');
    secret('dm ciphertext', sent.message);
    secret('dm signature', sent.signature);
    pairs.push([alice.signingKey, bob.address], [alice.address, bob.address]);
    await alice.sendBody(sent);
    const fromCarol = carol.buildSend(bob.address, 'hi from carol');
    secret('dm ciphertext 2', fromCarol.message);
    secret('dm signature 2', fromCarol.signature);
    pairs.push([carol.signingKey, bob.address], [carol.address, bob.address]);
    await carol.sendBody(fromCarol);

    const forged = carol.buildSend(alice.address, 'forged');
    forged.signature = alice.buildSend(alice.address, 'other').signature;
    secret('bad-signature ciphertext', forged.message);
    secret('bad signature', forged.signature);
    pairs.push([carol.signingKey, alice.address]);
    const badSig = await carol.sendBody(forged).catch((e: unknown) => e);
    expect(badSig).toBeInstanceOf(WhisprError);
    expect((badSig as WhisprError).status).toBeGreaterThanOrEqual(400);

    let limited: WhisprError | undefined;
    for (let i = 0; i < 10 && limited === undefined; i++) {
      const body = alice.buildSend(carol.address, `burst ${i}`);
      secret(`burst ciphertext ${i}`, body.message);
      secret(`burst signature ${i}`, body.signature);
      await alice.sendBody(body).catch((e: unknown) => {
        if (e instanceof WhisprError && e.status === 429) limited = e;
        else throw e;
      });
    }
    pairs.push([alice.signingKey, carol.address], [alice.address, carol.address]);
    expect(limited?.status).toBe(429);

    await eventually(() => pushed.length >= 2);
    sub.close();
    // Inbox fetch (carol's burst messages).
    const inbox = await carol.fetchInbox();
    expect(inbox.length).toBeGreaterThan(0);

    // Attachment upload and download, alice -> bob.
    const bytes = Buffer.from('attachment bytes that are secret 0123456789');
    // A fresh sender: alice's per-key send budget is spent by the 429 burst.
    const dave = client();
    pairs.push([dave.signingKey, bob.address], [dave.address, bob.address]);
    const upload = await dave.buildUpload(bob.address, bytes, 'secret-name.bin');
    secret('attachment base64', upload.blob);
    secret('attachment signature', upload.signature);
    secret('attachment sha256', upload.sha256);
    const attId = await dave.uploadRaw(bob.address, bytes, 'secret-name.bin');
    expect(Buffer.from((await bob.download(attId)).bytes).equals(bytes)).toBe(true);
    expect(Buffer.from(await bob.downloadRaw(attId)).equals(bytes)).toBe(true);

    // Group create / join / key / send / fetch.
    const A = new GroupClient(alice);
    const B = new GroupClient(bob);
    const { id: groupId, invite_code } = await A.create(`log-test-${Date.now()}`);
    secret('invite code', invite_code);
    await B.join({ invite_code });
    const key = newGroupKey();
    secret('group key hex', toHex(key));
    secret('group key base64', toBase64(key));
    await A.distributeKey(groupId, key, 1);
    const { members } = await A.memberKeys(groupId);
    for (const m of members) secret(`sealed group key for ${m.user_id}`, m.encrypted_group_key ?? undefined);
    const { channels } = await A.listChannels(groupId);
    const general = channels[0]!.id;
    await A.send(groupId, general, key, 1, 'group hello');
    await B.send(groupId, general, (await B.myKey(groupId)).key, 1, 'group reply');
    const page = await B.fetch(groupId, general);
    expect(page.messages.length).toBe(2);
    for (const m of page.messages) {
      secret('group ciphertext', m.ciphertext);
      secret('group nonce', m.nonce);
    }

    // Room join + message over /rooms.
    const roomCipher = 'c2VjcmV0LXJvb20taXY=.c2VjcmV0LXJvb20tY2lwaGVydGV4dA==';
    secret('room ciphertext', roomCipher);
    const r1 = await openWs(wsUrl(url, '/rooms'));
    const r2 = await openWs(wsUrl(url, '/rooms'));
    const f1 = collectFrames(r1);
    const f2 = collectFrames(r2);
    r1.send(JSON.stringify({ type: 'join', payload: { roomId: 'log-room', userId: 'u1', username: 'U1' } }));
    await eventually(() => f1.some((f) => f.type === 'userList'));
    r2.send(JSON.stringify({ type: 'join', payload: { roomId: 'log-room', userId: 'u2', username: 'U2' } }));
    await eventually(() => f2.some((f) => f.type === 'userList'));
    r1.send(JSON.stringify({ type: 'message', payload: { encrypted: roomCipher } }));
    await eventually(() => f2.some((f) => f.type === 'message' && f.payload === roomCipher));
    r1.close();
    r2.close();

    // /signal join with a token.
    const signalToken = await alice.authenticate('x25519');
    const [s1, s2] = [await signalPeer({ url }, signalToken), await signalPeer({ url }, signalToken)];
    await s1.join('log-call');
    s2.send({ type: 'join', call_id: 'log-call' });
    await s1.next(isType('peer-join'));
    s1.ws.close();
    s2.ws.close();

    // Private-comm accounts: registration, login, a message over the account socket.
    const phoneA = 'a1'.repeat(32);
    const phoneB = 'b2'.repeat(32);
    secret('phone hash', phoneA);
    secret('phone hash', phoneB);
    const accountA = new AccountClient(url, phoneA, generateIdentity().signing);
    const accountB = new AccountClient(url, phoneB, generateIdentity().signing);
    await accountA.register(2);
    await accountB.register(2);
    secret('account token', await accountA.accessToken());
    secret('account token', await accountB.accessToken());
    secret('identity key', toBase64(accountA.identity.publicKey));
    const bundle = await accountA.bundle(phoneB);
    secret('prekey', bundle.one_time_prekey?.public_key);
    secret('signed prekey', bundle.signed_prekey);
    const accountPayload = Buffer.from('private-comm secret payload');
    secret('account payload', accountPayload.toString('base64'));
    const accountFrames: Array<Record<string, unknown>> = [];
    const socketB = accountB.connect({ onFrame: (f) => accountFrames.push(f) });
    const socketA = accountA.connect({ onFrame: () => {} });
    await Promise.all([socketA.waitOpen(), socketB.waitOpen()]);
    socketA.send(encryptedMessage(accountB.userId!, accountPayload));
    await eventually(() => accountFrames.some((f) => f.type === 'encrypted_message'));
    socketA.close();
    socketB.close();
    pairs.push([accountA.userId!, accountB.userId!]);

    // Chat-app sign-in and an event (dev tokens stand in for ID tokens here).
    const chat = async (name: string) => {
      const token = `dev_${name}_log_scenario`;
      secret('chat ID token', token);
      const registered = await fetch(`${url}/api/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ google_id_token: token, public_key: Buffer.from(`chat key of ${name}`).toString('base64') }),
      });
      expect(registered.status).toBe(200);
      return { id: `user_${token}`, events: new ChatEventsClient(url, () => token) };
    };
    const [dana, erin] = [await chat('dana'), await chat('erin')];
    const eventPayload = Buffer.from('chat-app secret payload').toString('base64');
    secret('event payload', eventPayload);
    const received: string[] = [];
    const eventSocket = erin.events.subscribe(erin.id, (e) => void received.push(e.event_id));
    await eventSocket.waitOpen();
    await dana.events.post({ recipient_id: erin.id, sender_id: dana.id, event_type: 'MESSAGE', encrypted_payload: eventPayload });
    await eventually(() => received.length === 1);
    eventSocket.close();
    pairs.push([dana.id, erin.id]);

    // Every public key of every identity.
    for (const c of clients) {
      secret('x25519 public key', c.address);
      secret('ed25519 public key', c.signingKey);
    }
    await sleep(100);
    log.end();

    // --- assertions on the captured lines ---
    expect(lines.length).toBeGreaterThan(20);
    const parsed = lines.map((line) => {
      let value: Record<string, unknown>;
      try {
        value = JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`log line is not JSON: ${line}`);
      }
      expect(typeof value.level, line).toBe('number');
      expect(typeof value.time, line).toBe('number');
      return value;
    });
    const requests = parsed.filter((l) => l.msg === 'request');
    expect(requests.length).toBeGreaterThan(15);
    for (const r of requests) {
      expect(r.reqId, JSON.stringify(r)).toEqual(expect.any(String));
      expect(String(r.reqId).length).toBeGreaterThan(0);
      expect(r.route, JSON.stringify(r)).toEqual(expect.any(String));
      expect(String(r.route)).toMatch(/^\//);
      expect(r.method).toEqual(expect.any(String));
      expect(r.status).toEqual(expect.any(Number));
      expect(r.ms).toEqual(expect.any(Number));
    }
    const routes = new Set(requests.map((r) => `${String(r.method)} ${String(r.route)} ${String(r.status)}`));
    expect([...routes].some((r) => r.startsWith('POST /send 429'))).toBe(true);
    expect([...routes].some((r) => r.startsWith('POST /auth/token 200'))).toBe(true);

    const leaks: string[] = [];
    for (const line of lines) {
      for (const [value, label] of secrets) if (line.includes(value)) leaks.push(`${label} in: ${line}`);
      for (const [from, to] of pairs) if (line.includes(from) && line.includes(to)) leaks.push(`sender/recipient pair in: ${line}`);
    }
    expect(leaks).toEqual([]);
  }, 30_000);
});
