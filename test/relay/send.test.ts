/** POST /send: validation, size limits, rate limits, queue caps, replay and server-assigned timestamps. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type WhisprClient, text } from 'whispr-sdk';
import { stoppedDate } from '../support/fake-date.js';
import { startServer, type RunningServer } from '../support/test-server.js';
import { expectError, postText, rawExchange, rawSocket, type RawResponse } from './helpers.js';

const MAX_MESSAGE = 4096;
const SEALBYTES = 48;

let srv: RunningServer;
beforeAll(async () => {
  srv = await startServer({ max_message_size: MAX_MESSAGE });
});
afterAll(() => srv.stop());

const post = (server: RunningServer, body: unknown) => postText(server.url, '/send', JSON.stringify(body));
const pair = (server: RunningServer = srv) => ({ alice: server.client(), bob: server.client() });

async function expectEmptyInbox(bob: WhisprClient): Promise<void> {
  expect(await bob.fetchInbox()).toEqual([]);
}

describe('accepted sends', () => {
  test('a signed send is queued and acknowledged with id and server timestamp', async () => {
    const { alice, bob } = pair();
    const before = Date.now() / 1000;
    const result = await alice.send(bob.address, 'hello bob');
    expect(result).toEqual({ status: 'ok', id: expect.any(Number), timestamp: expect.any(Number), duplicate: false });
    expect(result.timestamp).toBeGreaterThanOrEqual(before - 0.01);
    expect(result.timestamp).toBeLessThanOrEqual(Date.now() / 1000);
    const inbox = await bob.fetchInbox();
    expect(inbox.map((m) => m.id)).toEqual([result.id]);
    expect(text(bob.open(inbox[0]!).plaintext)).toBe('hello bob');
  });

  test('a message of exactly max_message_size decoded bytes is accepted', async () => {
    const { alice, bob } = pair();
    const result = await post(srv, alice.buildSend(bob.address, Buffer.alloc(MAX_MESSAGE - SEALBYTES, 7)));
    expect(result.status).toBe(200);
    expect(await bob.fetchInbox()).toHaveLength(1);
  });
});

describe('refused sends leave nothing queued', () => {
  test('a signature over other bytes is 400 SIGNATURE_INVALID', async () => {
    const { alice, bob } = pair();
    const other = alice.buildSend(bob.address, 'other');
    expectError(await post(srv, { ...alice.buildSend(bob.address, 'real'), signature: other.signature }), 400, 'SIGNATURE_INVALID');
    // A signing key that did not sign it, with a well-formed signature of someone else.
    const mallory = srv.client();
    expectError(await post(srv, { ...alice.buildSend(bob.address, 'x'), from_: mallory.signingKey }), 400, 'SIGNATURE_INVALID');
    await expectEmptyInbox(bob);
  });

  test.each([
    ['to', 'zz'.repeat(32)],
    ['from_', 'g'.repeat(64)],
    ['enc_pub', 'ab'.repeat(31)],
    ['to', 'ab'.repeat(33)],
  ])('%s = %s (not a 32-byte hex key) is 400', async (field, value) => {
    const { alice, bob } = pair();
    expectError(await post(srv, { ...alice.buildSend(bob.address, 'x'), [field]: value }), 400, 'VALIDATION_FAILED');
    await expectEmptyInbox(bob);
  });

  test('a message that is not strict base64 is 400 INVALID_BASE64', async () => {
    const { alice, bob } = pair();
    const body = alice.buildSend(bob.address, 'x');
    expectError(await post(srv, { ...body, message: 'not base64!' }), 400, 'INVALID_BASE64');
    expectError(await post(srv, { ...body, message: `${body.message.replace(/=+$/, '')}@` }), 400, 'INVALID_BASE64');
    await expectEmptyInbox(bob);
  });

  test('a decoded message one byte over max_message_size is 413 MESSAGE_TOO_LARGE', async () => {
    const { alice, bob } = pair();
    expectError(await post(srv, alice.buildSend(bob.address, Buffer.alloc(MAX_MESSAGE - SEALBYTES + 1))), 413, 'MESSAGE_TOO_LARGE');
    await expectEmptyInbox(bob);
  });

  test('a 50 MB Content-Length is refused with 413 from the headers alone', async () => {
    const socket = await rawSocket(srv.url);
    try {
      const head = `POST /send HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${50 * 1024 * 1024}\r\n\r\n`;
      // No body byte is ever written: the answer must come from the declared length.
      const response = await rawExchange(socket, head, 3_000);
      expect(response.status).toBe(413);
      expect(JSON.parse(response.body)).toMatchObject({ error_code: 'BODY_TOO_LARGE' });
    } finally {
      socket.destroy();
    }
  });

  test('malformed and empty JSON are 400 INVALID_JSON', async () => {
    expectError(await postText(srv.url, '/send', '{"to":'), 400, 'INVALID_JSON');
    expectError(await postText(srv.url, '/send', ''), 400, 'INVALID_JSON');
  });

  test('wrong types are 400 VALIDATION_FAILED, never coerced', async () => {
    const { alice, bob } = pair();
    const body = alice.buildSend(bob.address, 'x');
    expectError(await post(srv, { ...body, to: 1 }), 400, 'VALIDATION_FAILED');
    expectError(await post(srv, { ...body, timestamp: 'x' }), 400, 'VALIDATION_FAILED');
    expectError(await post(srv, { ...body, timestamp: String(Date.now() / 1000) }), 400, 'VALIDATION_FAILED');
    expectError(await post(srv, { ...body, message: undefined }), 400, 'VALIDATION_FAILED');
    await expectEmptyInbox(bob);
  });

  test('a timestamp of 1e309 (Infinity once parsed) is 400', async () => {
    const { alice, bob } = pair();
    const text = JSON.stringify({ ...alice.buildSend(bob.address, 'x'), timestamp: 0 }).replace('"timestamp":0', '"timestamp":1e309');
    expect(text).toContain('1e309');
    expectError(await postText(srv.url, '/send', text), 400, 'VALIDATION_FAILED');
    await expectEmptyInbox(bob);
  });

  test('a lone surrogate in a string field is 400 INVALID_STRING', async () => {
    const { alice, bob } = pair();
    const body = alice.buildSend(bob.address, 'x');
    const text = JSON.stringify({ ...body, message: 'PLACEHOLDER' }).replace('PLACEHOLDER', '\\ud800');
    expectError(await postText(srv.url, '/send', text), 400, 'INVALID_STRING');
    // Also in a field the schema would otherwise strip.
    const extra = JSON.stringify({ ...body, note: 'PLACEHOLDER' }).replace('PLACEHOLDER', 'a\\udfffb');
    expectError(await postText(srv.url, '/send', extra), 400, 'INVALID_STRING');
    await expectEmptyInbox(bob);
  });

  test.each(['[]', '"x"', 'null', '42', 'true'])('a JSON body %s that is not an object is 400', async (text) => {
    expectError(await postText(srv.url, '/send', text), 400, 'VALIDATION_FAILED');
  });
});

describe('rate limits', () => {
  // Registered first, so the servers below are started (and stopped) under it.
  stoppedDate();
  let limited: RunningServer;
  beforeAll(async () => {
    limited = await startServer({ max_messages_per_second: 2, max_requests_per_ip_per_second: 10_000 });
  });
  afterAll(() => limited.stop());

  test('a sender over max_messages_per_second gets 429 RATE_LIMITED with Retry-After; others are unaffected', async () => {
    const { alice, bob } = pair(limited);
    const answers: RawResponse[] = [];
    for (let i = 0; i < 4; i++) answers.push(await post(limited, alice.buildSend(bob.address, `m${i}`)));
    expect(answers.slice(0, 2).map((a) => a.status)).toEqual([200, 200]);
    const refused = answers[2]!;
    expectError(refused, 429, 'RATE_LIMITED');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // The refused sends were not queued.
    expect(await bob.fetchInbox()).toHaveLength(2);
    const carol = limited.client();
    expect((await post(limited, carol.buildSend(bob.address, 'independent'))).status).toBe(200);
  });

  test('a client address over max_requests_per_ip_per_second gets 429 before anything else', async () => {
    const ipLimited = await startServer({ max_requests_per_ip_per_second: 1 });
    try {
      const bob = ipLimited.client({ auth: 'none' });
      // Burst is twice the rate: two requests pass, the third (from fresh senders) is refused.
      const statuses: number[] = [];
      let last: RawResponse | undefined;
      for (let i = 0; i < 3; i++) {
        last = await post(ipLimited, ipLimited.client().buildSend(bob.address, `m${i}`));
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 429]);
      expectError(last!, 429, 'RATE_LIMITED');
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      // Even an invalid body is refused by the address limit first.
      expectError(await postText(ipLimited.url, '/send', '{'), 429, 'RATE_LIMITED');
    } finally {
      await ipLimited.stop();
    }
  });
});

describe('recipient queue cap', () => {
  let capped: RunningServer;
  beforeAll(async () => {
    capped = await startServer({ max_messages_per_recipient: 3 });
  });
  afterAll(() => capped.stop());

  test('the fourth undelivered message is 429 RECIPIENT_QUEUE_FULL and the three queued are kept', async () => {
    const { alice, bob } = pair(capped);
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) ids.push((await alice.send(bob.address, `m${i}`)).id);
    const full = await post(capped, alice.buildSend(bob.address, 'm3'));
    expectError(full, 429, 'RECIPIENT_QUEUE_FULL');
    expect(Number(full.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const inbox = await bob.fetchInbox();
    expect(inbox.map((m) => m.id)).toEqual(ids);
    expect(inbox.map((m) => text(bob.open(m).plaintext))).toEqual(['m0', 'm1', 'm2']);
    // Once drained, the recipient accepts messages again.
    expect((await alice.send(bob.address, 'm4')).duplicate).toBe(false);
  });
});

describe('replays', () => {
  test('the same body twice is acknowledged with the same id and queued once', async () => {
    const { alice, bob } = pair();
    const body = alice.buildSend(bob.address, 'once');
    const first = await alice.sendBody(body);
    const second = await alice.sendBody(body);
    expect(second).toEqual({ status: 'ok', id: first.id, timestamp: first.timestamp, duplicate: true });
    const inbox = await bob.fetchInbox();
    expect(inbox.map((m) => m.id)).toEqual([first.id]);
  });

  test('a replay after the original was fetched is not queued again', async () => {
    const { alice, bob } = pair();
    const body = alice.buildSend(bob.address, 'once');
    const first = await alice.sendBody(body);
    expect(await bob.fetchInbox()).toHaveLength(1);
    const replay = await alice.sendBody({ ...body, timestamp: Date.now() / 1000 - 5 });
    expect(replay).toMatchObject({ id: first.id, duplicate: true });
    await expectEmptyInbox(bob);
  });

  test('a replay with another spelling of the signature or another recipient is not queued again', async () => {
    const { alice, bob } = pair();
    const carol = srv.client();
    const body = alice.buildSend(bob.address, 'once');
    const first = await alice.sendBody(body);
    // 64 bytes end in one byte over two base64 characters: the last one carries 4 unused bits.
    const last = body.signature.at(-3)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const respelled = `${body.signature.slice(0, -3)}${alphabet[alphabet.indexOf(last) ^ 1]!}==`;
    expect(respelled).not.toBe(body.signature);
    expect(Buffer.from(respelled, 'base64')).toEqual(Buffer.from(body.signature, 'base64'));
    expect(await alice.sendBody({ ...body, signature: respelled })).toMatchObject({ id: first.id, duplicate: true });
    // The signature does not cover `to`: a captured body redirected elsewhere is still a replay.
    expect(await alice.sendBody({ ...body, to: carol.address })).toMatchObject({ id: first.id, duplicate: true });
    expect((await bob.fetchInbox()).map((m) => m.id)).toEqual([first.id]);
    await expectEmptyInbox(carol);
  });
});

describe('server-assigned timestamps', () => {
  const sendAt = async (timestamp: number) => {
    const { alice, bob } = pair();
    const before = Date.now() / 1000;
    const result = await alice.sendBody(alice.buildSend(bob.address, 'x', timestamp));
    const after = Date.now() / 1000;
    const [queued] = await bob.fetchInbox();
    expect(queued?.timestamp).toBe(result.timestamp);
    return { result, before, after };
  };

  test('a future client timestamp is replaced by the server time', async () => {
    const { result, before, after } = await sendAt(Date.now() / 1000 + 3600);
    expect(result.timestamp).toBeGreaterThanOrEqual(before - 0.01);
    expect(result.timestamp).toBeLessThanOrEqual(after);
  });

  test('a timestamp 10 s in the past (within clock_skew_seconds) is kept', async () => {
    const claimed = Math.round(Date.now() / 1000) - 10;
    const { result } = await sendAt(claimed);
    expect(result.timestamp).toBe(claimed);
  });

  test('a timestamp an hour in the past is replaced by the server time', async () => {
    const { result, before, after } = await sendAt(Date.now() / 1000 - 3600);
    expect(result.timestamp).toBeGreaterThanOrEqual(before - 0.01);
    expect(result.timestamp).toBeLessThanOrEqual(after);
  });
});
