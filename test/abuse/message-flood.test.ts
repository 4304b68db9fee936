/**
 * Message flood: a stranger with a free chat-app user floods POST /api/events, or with a free
 * account floods encrypted_message frames on its socket. Each identity has a budget of its own
 * (max_events_per_second, account_messages_per_second: 10/s, burst 20) on top of its address's:
 * past it the flooder gets 429 RATE_LIMITED (on the socket an error frame, the socket staying open)
 * and another user at another address is still served.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LIFTED, account, accountSocket } from '../accounts/account-kit.js';
import { message, useEventServer } from '../events/event-kit.js';
import { type RunningServer, startServer } from '../support/test-server.js';
import { callFrom, expectRefused, floodUntilRefused, shippedDefaults } from './abuse-kit.js';

/** Far more than the burst: a flood stops at its first refusal, which must come well before. */
const FLOOD_LIMIT = 500;
const ATTACKER = '127.0.71.1';
const BYSTANDER = '127.0.72.1';

describe('chat-app events', () => {
  const kit = useEventServer(shippedDefaults('max_events_per_second', 'max_requests_per_ip_per_second'));

  test('one user flooding events is refused 429 past its budget; another user elsewhere still posts', async () => {
    const [victim, mallory, alice] = [await kit.user(), await kit.user(), await kit.user()];
    const post = (from: string, sender: typeof mallory, text: string) =>
      callFrom(from, kit.srv.url, 'POST', '/api/events', { json: { ...message(sender, victim, text), sequence: 0, timestamp: 0 }, token: sender.token });
    const answers = await floodUntilRefused(FLOOD_LIMIT, (n) => post(ATTACKER, mallory, `flood ${n}`));
    expectRefused(answers.at(-1), 'RATE_LIMITED');
    expect(answers.at(-1)?.body.detail).toMatch(/user/); // the user's budget, not the address's
    expect(answers.length - 1).toBeLessThan(FLOOD_LIMIT / 2);
    expect((await post(BYSTANDER, alice, 'hello')).status).toBe(200);
  });
});

describe('account messages', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer({ ...LIFTED, ...shippedDefaults('account_messages_per_second', 'max_requests_per_ip_per_second') });
  });
  afterAll(async () => {
    await srv?.stop();
  });

  test('one account flooding encrypted_message gets RATE_LIMITED error frames past its budget; the socket stays open and another account is served', async () => {
    const [bob, mallory, alice] = [await account(srv), await account(srv), await account(srv)];
    const ms = await accountSocket(srv, await mallory.accessToken(), { localAddress: ATTACKER });
    const frame = (n: number) => ({ type: 'encrypted_message', recipient_id: bob.userId, payload: Buffer.from(`flood ${n}`).toString('base64') });
    const answered = () => ms.frames.filter((f) => f.type === 'sent' || f.type === 'error');
    // Sent one after the other, each once the one before was answered.
    for (let n = 0; n < FLOOD_LIMIT && answered().at(-1)?.type !== 'error'; n++) {
      ms.send(frame(n));
      await ms.next(() => answered().length > n);
    }
    expect(answered().at(-1)).toEqual({ type: 'error', error_code: 'RATE_LIMITED', detail: expect.stringMatching(/account/) });
    expect(answered().length - 1).toBeLessThan(FLOOD_LIMIT / 2);
    // Still open: a ping is answered.
    ms.send({ type: 'ping' });
    await ms.next((f) => f.type === 'pong');

    const as = await accountSocket(srv, await alice.accessToken(), { localAddress: BYSTANDER });
    as.send({ type: 'encrypted_message', recipient_id: bob.userId, payload: Buffer.from('hello').toString('base64') });
    expect(await as.next((f) => f.type === 'sent' || f.type === 'error')).toMatchObject({ type: 'sent' });
    for (const socket of [ms, as]) socket.ws.close();
  });
});
