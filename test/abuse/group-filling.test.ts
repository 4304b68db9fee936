// Attack (issue 15 #4): self-made free keys fill a public group up to its member cap, so real users
// get 409 GROUP_FULL; or fill a private group's join requests. The owner removes everyone who joined
// since a time in one call (optionally banning them), or rejects the recent requests; requests have
// their own cap, apart from the members, and expire. Caps are small here; their figures come from
// the settings. The real users speak from another address.
import { describe, expect, test } from 'vitest';
import { advanceDate, stoppedDate } from '../support/fake-date.js';
import { expectError, raw, useGroupServer, type GroupTestUser } from '../groups/group-kit.js';
import { fromAddress } from './source-address.js';

const MEMBERS = 20;
const REQUESTS = 5;
const REQUEST_TTL = 3600;
const REAL_ADDRESS = '127.0.0.3';

// Join times are stamped by Date: stopped, and moved on between the real members and the burst.
stoppedDate();
const { kit, user } = useGroupServer({ max_group_members: MEMBERS, max_group_join_requests: REQUESTS, group_join_request_ttl_seconds: REQUEST_TTL });

const nowSeconds = () => Date.now() / 1000;
const real = <T>(work: () => Promise<T>) => fromAddress(REAL_ADDRESS, work);

/** An owner's group with `members` real members who joined a minute before the attack starts at `since`. */
async function communityBeforeBurst(isPublic: boolean, members: number) {
  const owner = user();
  const { id, invite_code } = await real(() => owner.g.create('community', isPublic));
  const early: GroupTestUser[] = [];
  for (let i = 0; i < members; i += 1) {
    const member = user();
    await real(() => member.g.join({ invite_code }));
    early.push(member);
  }
  advanceDate(60_000);
  return { owner, id, invite_code, early, since: nowSeconds() };
}

async function burst(count: number, join: (attacker: GroupTestUser) => Promise<unknown>): Promise<GroupTestUser[]> {
  const attackers = Array.from({ length: count }, () => user());
  for (const attacker of attackers) await join(attacker);
  return attackers;
}

describe('a public group filled by free keys', () => {
  test('the owner removes everyone who joined since the burst began in one call; real users join again', async () => {
    const community = await communityBeforeBurst(true, 4);
    const attackers = await burst(MEMBERS - 5, (a) => a.g.join({ group_id: community.id }));
    const newcomer = user();
    await expect(real(() => newcomer.g.join({ group_id: community.id }))).rejects.toMatchObject({ status: 409, errorCode: 'GROUP_FULL' });

    expect(await real(() => community.owner.g.removeRecentMembers(community.id, community.since))).toEqual({
      status: 'removed',
      removed: attackers.length,
      new_key_version: 2,
    });
    for (const attacker of attackers) await expect(attacker.g.role(community.id)).rejects.toMatchObject({ status: 403, errorCode: 'NOT_A_MEMBER' });
    expect(await real(() => newcomer.g.join({ group_id: community.id }))).toMatchObject({ status: 'joined' });
    const members = (await real(() => community.owner.g.memberKeys(community.id))).members.map((m) => m.user_id);
    expect(members.sort()).toEqual([community.owner.id, ...community.early.map((m) => m.id), newcomer.id].sort());
  });

  test('with ban the removed keys cannot come back; max removes the newest first', async () => {
    const community = await communityBeforeBurst(true, 1);
    const attackers = await burst(6, (a) => a.g.join({ invite_code: community.invite_code }));
    expect(await real(() => community.owner.g.removeRecentMembers(community.id, community.since, { max: 4, ban: true }))).toMatchObject({ removed: 4 });
    for (const attacker of attackers.slice(2))
      await expect(attacker.g.join({ group_id: community.id })).rejects.toMatchObject({ status: 403, errorCode: 'BANNED' });
    for (const attacker of attackers.slice(0, 2)) expect(await attacker.g.role(community.id)).toEqual({ role: 'member' });
    expect(await real(() => community.early[0]!.g.role(community.id))).toEqual({ role: 'member' });
  });

  test('only an owner or admin with a bearer token may remove; bad input is 400', async () => {
    const community = await communityBeforeBurst(true, 1);
    const member = community.early[0]!;
    await expect(member.g.removeRecentMembers(community.id, 0)).rejects.toMatchObject({ status: 403, errorCode: 'INSUFFICIENT_ROLE' });
    const stranger = user();
    await expect(stranger.g.rejectRecentRequests(community.id, 0)).rejects.toMatchObject({ status: 403, errorCode: 'NOT_A_MEMBER' });
    const body = { group_id: community.id, since: 0, user_id: community.owner.id };
    expectError(await raw(kit.s.url, 'POST', '/groups/members/remove_recent', { body }), 401, 'TOKEN_REQUIRED');
    const token = await community.owner.token();
    expectError(await raw(kit.s.url, 'POST', '/groups/members/remove_recent', { body: { group_id: community.id }, token }), 400, 'VALIDATION_FAILED');
    expectError(
      await raw(kit.s.url, 'POST', '/groups/requests/reject_recent', { body: { group_id: community.id, since: -1 }, token }),
      400,
      'VALIDATION_FAILED',
    );
    expect(await member.g.role(community.id)).toEqual({ role: 'member' });
  });
});

describe('a private group flooded with join requests', () => {
  test('requests have their own cap: invites still work, the owner rejects the recent requests in one call', async () => {
    const community = await communityBeforeBurst(false, 1);
    await burst(REQUESTS, async (a) => expect(await a.g.join({ group_id: community.id })).toMatchObject({ status: 'pending' }));
    const asking = user();
    await expect(real(() => asking.g.join({ group_id: community.id }))).rejects.toMatchObject({ status: 409, errorCode: 'GROUP_FULL' });
    const invited = user();
    expect(await real(() => invited.g.join({ invite_code: community.invite_code }))).toMatchObject({ status: 'joined' });

    expect(await real(() => community.owner.g.rejectRecentRequests(community.id, community.since))).toEqual({ status: 'rejected', rejected: REQUESTS });
    expect(await real(() => asking.g.join({ group_id: community.id }))).toMatchObject({ status: 'pending' });
    expect(await real(() => community.owner.g.approve(community.id, asking.id))).toEqual({ status: 'approved' });
    expect(await real(() => asking.g.role(community.id))).toEqual({ role: 'member' });
  });

  test('a request not approved within group_join_request_ttl_seconds is dropped by the cleanup', async () => {
    const community = await communityBeforeBurst(false, 0);
    const attackers = await burst(REQUESTS, (a) => a.g.join({ group_id: community.id }));
    advanceDate((REQUEST_TTL - 1) * 1000);
    await kit.s.server.runCleanup();
    await expect(real(() => user().g.join({ group_id: community.id }))).rejects.toMatchObject({ status: 409, errorCode: 'GROUP_FULL' });

    advanceDate(2000);
    await kit.s.server.runCleanup();
    await expect(community.owner.g.approve(community.id, attackers[0]!.id)).rejects.toMatchObject({ status: 404, errorCode: 'REQUEST_NOT_FOUND' });
    const asking = user();
    expect(await real(() => asking.g.join({ group_id: community.id }))).toMatchObject({ status: 'pending' });
  });
});
