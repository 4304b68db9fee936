/**
 * Challenge flood: a stranger asks for /auth/challenge nonces and never answers them, to fill the
 * server-wide cap of unanswered challenges so that nobody can sign in. One client address (an IPv6
 * /64 counting as one) holds at most max_pending_challenges_per_ip (20) of them: past that it gets
 * 429 CHALLENGES_PENDING with a Retry-After, while others still get theirs and sign in. The machine
 * only has IPv4 loopback addresses to speak from, so the /64 rule is shown on the budget key and on
 * the store directly.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { nowSeconds } from '../../src/core/clock.js';
import { createMemoryChallengeStore } from '../../src/features/auth/challenge-store.js';
import { addressKey } from '../../src/http/address-key.js';
import { generateIdentity, sign, toBase64, toHex } from 'whispr-sdk';
import { type RunningServer, startServer } from '../support/test-server.js';
import { callFrom, expectRefused, inTurn, shippedDefaults } from './abuse-kit.js';

const DEFAULTS = shippedDefaults('max_pending_challenges', 'max_pending_challenges_per_ip', 'max_requests_per_ip_per_second');
const PER_ADDRESS = DEFAULTS.max_pending_challenges_per_ip;
const ATTACKER = '127.0.64.1';
const BYSTANDER = '127.0.65.1';

describe('a server on its defaults', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer(DEFAULTS);
  });
  afterAll(async () => {
    await srv?.stop();
  });

  const challenge = (from: string, key: string) => callFrom(from, srv.url, 'POST', '/auth/challenge', { json: { key, key_type: 'ed25519' } });

  test('one address holds at most its share of unanswered challenges; a bystander still signs in; answering frees a place', async () => {
    const mallory = generateIdentity().signing;
    const key = toHex(mallory.publicKey);
    const issued = await inTurn(PER_ADDRESS, () => challenge(ATTACKER, key));
    expect(issued.map((a) => a.status)).toEqual(Array(PER_ADDRESS).fill(200));
    // Other keys from the same address change nothing: the cap is the address's.
    for (const other of [key, toHex(generateIdentity().signing.publicKey)]) {
      expectRefused(await challenge(ATTACKER, other), 'CHALLENGES_PENDING');
    }

    const alice = generateIdentity().signing;
    const hers = await challenge(BYSTANDER, toHex(alice.publicKey));
    expect(hers.status).toBe(200);
    const signature = toBase64(sign(alice, Buffer.from(hers.body.nonce, 'base64')));
    const token = await callFrom(BYSTANDER, srv.url, 'POST', '/auth/token', { json: { challenge_id: hers.body.challenge_id, signature } });
    expect({ status: token.status, key: token.body.key }).toEqual({ status: 200, key: toHex(alice.publicKey) });

    // The attacker answering one of its own challenges gets one more: a cap, not a lockout.
    const first = issued[0]?.body as { challenge_id: string; nonce: string };
    const answer = { challenge_id: first.challenge_id, signature: toBase64(sign(mallory, Buffer.from(first.nonce, 'base64'))) };
    expect((await callFrom(ATTACKER, srv.url, 'POST', '/auth/token', { json: answer })).status).toBe(200);
    expect((await challenge(ATTACKER, key)).status).toBe(200);
    expect((await challenge(ATTACKER, key)).status).toBe(429);
  });
});

describe('the budget key of a client address', () => {
  test('an IPv6 /64 is one address, however it is written', () => {
    const one = ['2001:db8:1:2::1', '2001:0DB8:0001:0002:ffff:ffff:ffff:ffff', '2001:db8:1:2:aaaa::', '2001:db8:1:2::1%eth0', '2001:db8:1:2:0:0:192.0.2.1'];
    expect(new Set(one.map(addressKey))).toEqual(new Set(['2001:db8:1:2::/64']));
    expect(addressKey('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
  });

  test('IPv4, also written IPv4-mapped, is itself; anything else is kept as is', () => {
    expect(addressKey('192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('::FFFF:192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('192.0.2.8')).not.toBe(addressKey('192.0.2.7'));
    expect(addressKey('unknown')).toBe('unknown');
  });

  test('a /64 flooding the challenge store meets one cap; another /64 and the server-wide cap are untouched', async () => {
    const store = createMemoryChallengeStore({ maxPending: 1_000, maxPendingPerAddress: PER_ADDRESS }, nowSeconds);
    try {
      const put = (ip: string, n: number) =>
        store.put({ id: `${ip}-${n}`, key: 'k', keyType: 'ed25519', nonce: Buffer.alloc(32), expiresAt: nowSeconds() + 60, address: addressKey(ip) });
      // Every host of one /64 a different address: the attacker's whole prefix still holds one share.
      const outcomes = await inTurn(PER_ADDRESS + 5, (n) => put(`2001:db8:5:6::${(n + 1).toString(16)}`, n));
      expect(outcomes.filter((o) => o === 'stored')).toHaveLength(PER_ADDRESS);
      expect(outcomes.slice(PER_ADDRESS)).toEqual(Array(5).fill('address-full'));
      expect(await put('2001:db8:5:7::1', 0)).toBe('stored');
      expect(store.size()).toBe(PER_ADDRESS + 1);
    } finally {
      store.close();
    }
  });
});
