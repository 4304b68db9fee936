/**
 * Join flood: a stranger mints free keys and has them all join (or ask to join) groups, from one
 * client address, or has one key join group after group. Joins and join requests have budgets of
 * their own, per key (group_joins_per_minute, 10) and per client address (group_joins_per_ip_per_minute,
 * 30): past them the stranger gets 429 JOIN_RATE_LIMITED with a Retry-After, and a bystander at
 * another address still joins.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GroupClient } from 'whispr-sdk';
import { type RunningServer, startServer } from '../support/test-server.js';
import { callFrom, expectRefused, floodUntilRefused, shippedDefaults } from './abuse-kit.js';

const DEFAULTS = shippedDefaults('group_joins_per_minute', 'group_joins_per_ip_per_minute', 'max_group_writes_per_second', 'max_requests_per_ip_per_second');
/** Far more than the budgets: a flood stops at its first refusal, which must come well before. */
const FLOOD_LIMIT = 200;
const ATTACKER = '127.0.68.1';
const KEY_ATTACKER = '127.0.69.1';
const BYSTANDER = '127.0.70.1';

describe('a server on its defaults', () => {
  let srv: RunningServer;
  let owner: GroupClient;
  beforeAll(async () => {
    srv = await startServer(DEFAULTS);
    owner = new GroupClient(srv.client());
  });
  afterAll(async () => {
    await srv?.stop();
  });

  /** A fresh key with its token (proved from 127.0.0.1). */
  const stranger = async () => {
    const client = srv.client();
    return { id: client.address, token: (await client.token()) as string };
  };
  const join = (from: string, who: { id: string; token: string }, groupId: string) =>
    callFrom(from, srv.url, 'POST', '/groups/join', { json: { group_id: groupId, user_id: who.id }, token: who.token });

  test('many free keys from one address joining a public group: refused past the address budget; a bystander still joins', async () => {
    const { id: groupId } = await owner.create('public', true);
    const answers = await floodUntilRefused(FLOOD_LIMIT, async () => join(ATTACKER, await stranger(), groupId));
    expectRefused(answers.at(-1), 'JOIN_RATE_LIMITED');
    const joined = answers.filter((a) => a.status === 200);
    expect(joined.every((a) => a.body.status === 'joined')).toBe(true);
    // The address's burst at least; the keys came far faster than its refill (one every two seconds).
    expect(joined.length).toBeGreaterThanOrEqual(DEFAULTS.group_joins_per_ip_per_minute);
    expect(joined.length).toBeLessThan(FLOOD_LIMIT / 2);

    const alice = await stranger();
    const hers = await join(BYSTANDER, alice, groupId);
    expect({ status: hers.status, joined: hers.body.status }).toEqual({ status: 200, joined: 'joined' });
  });

  test('one key joining group after group: refused past its own budget, while another key at its address still joins', async () => {
    const groups: string[] = [];
    for (let n = 0; n <= DEFAULTS.group_joins_per_minute + 1; n++) groups.push((await owner.create(`g${n}`, true)).id);
    const mallory = await stranger();
    const answers = await floodUntilRefused(FLOOD_LIMIT, (n) => join(KEY_ATTACKER, mallory, groups[n % groups.length] as string));
    expectRefused(answers.at(-1), 'JOIN_RATE_LIMITED');
    const joined = answers.filter((a) => a.status === 200).length;
    expect(joined).toBeGreaterThanOrEqual(DEFAULTS.group_joins_per_minute);
    expect(joined).toBeLessThan(FLOOD_LIMIT / 2);
    expect((await join(KEY_ATTACKER, await stranger(), groups[0] as string)).status).toBe(200);
  });
});
