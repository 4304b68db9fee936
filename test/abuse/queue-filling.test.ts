import { text, type WhisprClient } from 'whispr-sdk';
/**
 * Queue filling: a stranger with free keys tries to fill someone's queue (direct messages, chat-app
 * events, account pending messages) so that nobody else gets through. One sender may hold at most
 * max_queued_per_sender of a recipient's queue and one client address max_queued_per_address (both
 * 100 of 1000 by default), whatever its keys: past that the sender gets 429 SENDER_QUEUE_FULL or
 * ADDRESS_QUEUE_FULL (an error frame on the account socket), nothing already queued is lost, and a
 * bystander at another address is still delivered. The rate budgets are lifted here (they would only
 * slow the attack down); the queue caps are the shipped defaults.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Config } from '../../src/config/settings.js';
import { type AccountSocket, LIFTED, account, accountSocket } from '../accounts/account-kit.js';
import { message, payloadText, useEventServer } from '../events/event-kit.js';
import { createTempSchema, type TempSchema } from '../support/pg-schema.js';
import { useRedisScratch } from '../support/redis-scratch.js';
import { REDIS_URL, requirePostgres, requireRedis } from '../support/services.js';
import { type RunningServer, startServer } from '../support/test-server.js';
import { type AddressedAnswer, callFrom, expectRefused, inTurn, shippedDefaults } from './abuse-kit.js';

const CAPS = shippedDefaults('max_messages_per_recipient', 'max_queued_per_sender', 'max_queued_per_address');
const SHARE = CAPS.max_queued_per_sender;
const ATTACKER = '127.0.61.1';
const SECOND_ATTACKER = '127.0.62.1';
const BYSTANDER = '127.0.63.1';

const errorCodes = (answers: AddressedAnswer[]) => answers.map((a) => (a.status === 200 ? 200 : `${a.status} ${a.body.error_code}`));

const clusterAvailable = (await requirePostgres('test/abuse/queue-filling.test.ts')) && (await requireRedis('test/abuse/queue-filling.test.ts'));

const deployments = [
  { name: 'one process, SQLite', cluster: false, inbox: 'storage' },
  { name: 'cluster mode: PostgreSQL + Redis', cluster: true, inbox: 'storage' },
  { name: 'cluster mode, inbox_backend=redis', cluster: true, inbox: 'redis' },
] as const;

describe.each(deployments)('direct messages ($name)', ({ cluster, inbox }) => {
  const scratch = useRedisScratch();
  let schema: TempSchema | undefined;
  let srv: RunningServer;
  beforeAll(async () => {
    if (cluster && !clusterAvailable) return;
    schema = cluster ? await createTempSchema() : undefined;
    const clusterSettings: Partial<Config> = {
      storage: 'postgres',
      database_url: schema?.url() ?? '',
      bus: 'redis',
      redis_url: REDIS_URL,
      redis_prefix: scratch.prefix,
      jwt_secret: randomBytes(32).toString('hex'),
      inbox_backend: inbox,
    };
    srv = await startServer({ ...CAPS, max_messages_per_second: 10_000, ...(cluster ? clusterSettings : {}) });
  });
  afterAll(async () => {
    await srv?.stop();
    await schema?.drop();
  });

  test.runIf(!cluster || clusterAvailable)(
    'one key, then free keys from one address, fill at most their share; the bystander is delivered and nothing is lost',
    async () => {
      const bob = srv.client();
      const send = (sender: WhisprClient, from: string, text: string) =>
        callFrom(from, srv.url, 'POST', '/send', { json: sender.buildSend(bob.address, text) });

      const mallory = srv.client();
      expect(errorCodes(await inTurn(SHARE, (n) => send(mallory, ATTACKER, `mallory ${n}`)))).toEqual(Array(SHARE).fill(200));
      expectRefused(await send(mallory, ATTACKER, 'one too many'), 'SENDER_QUEUE_FULL');
      // Fresh keys from the same address: the address's share is spent too.
      for (let n = 0; n < 3; n++) expectRefused(await send(srv.client(), ATTACKER, `fresh ${n}`), 'ADDRESS_QUEUE_FULL');

      // Twenty free keys at another address, five messages each: that address's share, and no more.
      const keys = Array.from({ length: 20 }, () => srv.client());
      const spread = await inTurn(SHARE, (n) => send(keys[n % keys.length] as WhisprClient, SECOND_ATTACKER, `spread ${n}`));
      expect(errorCodes(spread)).toEqual(Array(SHARE).fill(200));
      expectRefused(await send(srv.client(), SECOND_ATTACKER, 'beyond'), 'ADDRESS_QUEUE_FULL');

      const alice = srv.client();
      expect((await send(alice, BYSTANDER, 'hello bob')).status).toBe(200);

      const texts = (await bob.fetchInbox()).map((m) => text(bob.open(m).plaintext));
      expect(texts).toHaveLength(2 * SHARE + 1);
      expect(texts.filter((t) => t.startsWith('mallory '))).toHaveLength(SHARE);
      expect(texts.filter((t) => t.startsWith('spread '))).toHaveLength(SHARE);
      expect(texts).toContain('hello bob');
      // Once delivered, the shares are free again: a cap, not a lockout.
      expect((await send(mallory, ATTACKER, 'later')).status).toBe(200);
    },
  );
});

describe('chat-app events', () => {
  const kit = useEventServer({ ...CAPS, event_window: 1_000 });

  test('one user, then another user from the same address, fill at most their share; the bystander is delivered and nothing is lost', async () => {
    const [victim, mallory, sybil, alice] = [await kit.user(), await kit.user(), await kit.user(), await kit.user()];
    const post = (from: string, sender: typeof mallory, text: string) =>
      callFrom(from, kit.srv.url, 'POST', '/api/events', { json: { ...message(sender, victim, text), sequence: 0, timestamp: 0 }, token: sender.token });

    expect(errorCodes(await inTurn(SHARE, (n) => post(ATTACKER, mallory, `mallory ${n}`)))).toEqual(Array(SHARE).fill(200));
    expectRefused(await post(ATTACKER, mallory, 'one too many'), 'SENDER_QUEUE_FULL');
    expectRefused(await post(ATTACKER, sybil, 'fresh account, same address'), 'ADDRESS_QUEUE_FULL');
    expect((await post(BYSTANDER, alice, 'hello')).status).toBe(200);

    const socket = await kit.socket(victim);
    const received = (await socket.waitEvents(SHARE + 1)).map(payloadText);
    expect(received.filter((t) => t.startsWith('mallory '))).toHaveLength(SHARE);
    expect(received).toContain('hello');
    expect(received).toHaveLength(SHARE + 1);
  });
});

describe('account pending messages', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer({ ...CAPS, ...LIFTED });
  });
  afterAll(async () => {
    await srv?.stop();
  });

  const encrypted = (to: string, text: string) => ({ type: 'encrypted_message', recipient_id: to, payload: Buffer.from(text).toString('base64') });
  /** Sends one message and waits for its answer: `sent`, or an error frame. */
  const ask = async (socket: AccountSocket, frame: Record<string, unknown>) => {
    const answered = socket.frames.length;
    socket.send(frame);
    return socket.next((f) => socket.frames.indexOf(f) >= answered && (f.type === 'sent' || f.type === 'error'));
  };
  const refusal = (code: string) => ({ type: 'error', error_code: code, detail: expect.any(String) });

  test('one account, then another account from the same address, fill at most their share; the bystander is delivered and nothing is lost', async () => {
    const [bob, mallory, sybil, alice] = [await account(srv), await account(srv), await account(srv), await account(srv)];
    const from = async (client: typeof bob, address: string) => accountSocket(srv, await client.accessToken(), { localAddress: address });
    const [ms, ss, as] = [await from(mallory, ATTACKER), await from(sybil, ATTACKER), await from(alice, BYSTANDER)];

    const answers = await inTurn(SHARE, (n) => ask(ms, encrypted(bob.userId, `mallory ${n}`)));
    expect(answers.map((a) => a.type)).toEqual(Array(SHARE).fill('sent'));
    expect(await ask(ms, encrypted(bob.userId, 'one too many'))).toEqual(refusal('SENDER_QUEUE_FULL'));
    expect(await ask(ss, encrypted(bob.userId, 'fresh account, same address'))).toEqual(refusal('ADDRESS_QUEUE_FULL'));
    expect(await ask(as, encrypted(bob.userId, 'hello'))).toMatchObject({ type: 'sent' });

    const bs = await accountSocket(srv, await bob.accessToken());
    const delivered = () => bs.frames.filter((f) => f.type === 'encrypted_message').map((f) => Buffer.from(String(f.payload), 'base64').toString());
    await bs.next(() => delivered().length >= SHARE + 1);
    expect(delivered().filter((t) => t.startsWith('mallory '))).toHaveLength(SHARE);
    expect(delivered()).toContain('hello');
    for (const socket of [ms, ss, as, bs]) socket.ws.close();
  });
});
