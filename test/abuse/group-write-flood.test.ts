/**
 * Group write flood: a stranger with a free key floods /groups writes (here: messages into its own
 * group) to wear the server down for everyone. Each key has max_group_writes_per_second (10, burst
 * 20) of group writes, and every write also spends its client address's budget: past its budget the
 * key gets 429 RATE_LIMITED with a Retry-After, its reads still work, and others (another key at
 * another address, or even at the same one) are still served.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { encryptForGroup, GroupClient, newGroupKey } from 'whispr-sdk';
import { type RunningServer, startServer } from '../support/test-server.js';
import { callFrom, expectRefused, floodUntilRefused, shippedDefaults } from './abuse-kit.js';

const DEFAULTS = shippedDefaults('max_group_writes_per_second', 'max_requests_per_ip_per_second');
/** Far more than the burst: the flood stops at the first refusal, which must come well before. */
const FLOOD_LIMIT = 500;
const ATTACKER = '127.0.66.1';
const BYSTANDER = '127.0.67.1';

describe('a server on its defaults', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer(DEFAULTS);
  });
  afterAll(async () => {
    await srv?.stop();
  });

  /** A key with its own group and #general (made from 127.0.0.1: one group write). */
  const member = async () => {
    const client = srv.client();
    const g = new GroupClient(client);
    const { id } = await g.create('flood');
    const general = (await g.listChannels(id)).channels[0]?.id as string;
    return { id: client.address, token: (await client.token()) as string, groupId: id, general };
  };
  type Member = Awaited<ReturnType<typeof member>>;
  const post = (from: string, who: Member, text: string) =>
    callFrom(from, srv.url, 'POST', '/groups/messages/send', {
      json: { group_id: who.groupId, channel_id: who.general, sender_id: who.id, key_version: 1, ...encryptForGroup(newGroupKey(), text) },
      token: who.token,
    });

  test('one key flooding group messages is refused 429 once its burst is spent; its reads, its neighbour and the bystander are served', async () => {
    const mallory = await member();
    const answers = await floodUntilRefused(FLOOD_LIMIT, (n) => post(ATTACKER, mallory, `flood ${n}`));
    expectRefused(answers.at(-1), 'RATE_LIMITED');
    expect(answers.at(-1)?.body.detail).toMatch(/key/); // the key's budget, not the address's
    const accepted = answers.filter((a) => a.status === 200).length;
    // The burst (20, one spent on creating the group) at least; the flood ran far faster than the refill.
    expect(accepted).toBeGreaterThanOrEqual(2 * DEFAULTS.max_group_writes_per_second - 1);
    expect(accepted).toBeLessThan(FLOOD_LIMIT / 2);

    // Reads are not writes: the flooder still reads its channel.
    const read = await callFrom(ATTACKER, srv.url, 'GET', `/groups/channels/list?group_id=${mallory.groupId}&user_id=${mallory.id}`, { token: mallory.token });
    expect(read.status).toBe(200);
    // The budget is the key's: another key at the same address, and a bystander elsewhere, still write.
    expect((await post(ATTACKER, await member(), 'neighbour')).status).toBe(200);
    expect((await post(BYSTANDER, await member(), 'hello')).status).toBe(200);
  });
});
