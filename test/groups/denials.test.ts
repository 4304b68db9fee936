/**
 * Every group denial, in both security modes: non-members, pending requests, members acting as
 * admins, admins acting as owners, forged senders, other members' keys, cross-group channels and
 * attachments, duplicate channel names, the owner leaving, missing or foreign tokens (strict).
 * Each denial must carry {detail, error_code, timestamp} and leave every group exactly as it was.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GroupClient, encryptForGroup, newGroupKey, seal, type WhisprClient, toBase64, text } from 'whispr-sdk';
import { startServer, type RunningServer } from '../support/test-server.js';
import { denied, expectError, raw, recordErrorBodies } from './group-kit.js';

type Mode = 'strict' | 'compat';

describe.each(['strict', 'compat'] as const)('%s mode', (mode: Mode) => {
  let s: RunningServer;
  let errors: ReturnType<typeof recordErrorBodies>;
  // A owns G1 and is an admin of G3; B is a member of G1, owns G2 and G3; C is a member of G1;
  // P has a pending request to G1; X belongs to nothing.
  let wa: WhisprClient, wb: WhisprClient, wc: WhisprClient, wp: WhisprClient, wx: WhisprClient;
  let A: GroupClient, B: GroupClient, C: GroupClient, P: GroupClient, X: GroupClient;
  let g1 = '',
    g2 = '',
    g3 = '';
  const invites: Record<string, string> = {};
  let general1 = '',
    random1 = '',
    general2 = '';
  let att1 = '',
    att2 = '';
  const key1 = newGroupKey();

  beforeAll(async () => {
    errors = recordErrorBodies();
    s = await startServer({ security: mode });
    const auth = mode === 'strict' ? 'token' : 'none';
    const ws = Array.from({ length: 5 }, () => s.client({ auth }));
    [wa, wb, wc, wp, wx] = ws as [WhisprClient, WhisprClient, WhisprClient, WhisprClient, WhisprClient];
    [A, B, C, P, X] = ws.map((w) => new GroupClient(w)) as [GroupClient, GroupClient, GroupClient, GroupClient, GroupClient];

    const first = await A.create('alpha');
    g1 = first.id;
    invites[g1] = first.invite_code;
    await B.join({ invite_code: first.invite_code });
    await C.join({ invite_code: first.invite_code });
    expect((await P.join({ group_id: g1 })).status).toBe('pending');
    random1 = (await A.createChannel(g1, 'random')).channel_id;
    general1 = (await A.listChannels(g1)).channels.find((c) => c.name === 'general')!.id;
    await A.distributeKey(g1, key1, 1);
    await A.send(g1, general1, key1, 1, 'one');
    await C.send(g1, random1, key1, 1, 'two');
    att1 = (await B.upload(g1, Buffer.from('file in alpha'))).id;

    const second = await B.create('beta');
    g2 = second.id;
    invites[g2] = second.invite_code;
    general2 = (await B.listChannels(g2)).channels[0]!.id;
    att2 = (await B.upload(g2, Buffer.from('file in beta'))).id;

    const third = await A.create('gamma');
    g3 = third.id;
    invites[g3] = third.invite_code;
    await B.join({ invite_code: third.invite_code });
    await A.transferOwner(g3, wb.address);
  });
  afterAll(async () => {
    errors.restore();
    await s?.stop();
  });

  /** Everything an owner can observe of a group: info, channels with meta, members with keys, message counts, invite validity. */
  async function snapshot(owner: GroupClient, groupId: string) {
    const [info, { channels }, keys, { status: invite }] = await Promise.all([
      owner.info(groupId),
      owner.listChannels(groupId),
      owner.memberKeys(groupId),
      owner.join({ invite_code: invites[groupId]! }),
    ]);
    const [meta, messages] = await Promise.all([
      Promise.all(channels.map((c) => owner.channelMeta(c.id))),
      Promise.all(channels.map(async (c) => (await owner.fetch(groupId, c.id)).messages.map((m) => [m.id, m.sender_id]))),
    ]);
    return { info, channels, meta, messages, keys, invite };
  }
  const state = () => Promise.all([snapshot(A, g1), snapshot(B, g2), snapshot(B, g3)]);

  /** The call must be refused with status/code and the standard body, and change nothing. */
  async function refused(call: () => Promise<unknown>, status: number, code: string) {
    const before = await state();
    await denied(call(), status, code, errors.last);
    expect(await state()).toEqual(before);
  }
  /** Same for a raw HTTP call. */
  async function refusedRaw(call: () => Promise<{ status: number; body: unknown }>, status: number, code: string) {
    const before = await state();
    expectError(await call(), status, code);
    expect(await state()).toEqual(before);
  }
  const send = (as: WhisprClient, body: Record<string, unknown>) =>
    as.token().then((token) =>
      raw(s.url, 'POST', '/groups/messages/send', {
        body: { group_id: g1, channel_id: general1, key_version: 1, ...encryptForGroup(key1, 'forged'), ...body },
        token,
      }),
    );

  test('a non-member can neither read nor write a private group', async () => {
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['info', () => X.info(g1)],
      ['channels/list', () => X.listChannels(g1)],
      ['channels/meta', () => X.channelMeta(general1)],
      ['channels/meta/set', () => X.setChannelMeta(general1, { topic: 'mine now' })],
      ['channels/role', () => X.role(g1)],
      ['members/keys', () => X.memberKeys(g1)],
      ['members/keys/update', () => X.updateMemberKey(g1, wx.address, toBase64(seal(Buffer.from(wx.address, 'hex'), key1)), 1)],
      ['messages/fetch', () => X.fetch(g1, general1)],
      ['messages/send', () => X.send(g1, general1, key1, 1, 'let me in')],
      ['attachments download', () => X.download(g1, att1)],
      ['attachments upload', () => X.upload(g1, Buffer.from('spam'))],
    ];
    for (const [, call] of calls) await refused(call, 403, 'NOT_A_MEMBER');
    expect(await X.leave(g1)).toEqual({ status: 'not_member' });
  });

  test('a pending request is not a membership', async () => {
    expect(await P.join({ group_id: g1 })).toEqual({ status: 'pending', group_id: g1 });
    for (const call of [
      () => P.info(g1),
      () => P.listChannels(g1),
      () => P.role(g1),
      () => P.memberKeys(g1),
      () => P.fetch(g1, general1),
      () => P.send(g1, general1, key1, 1, 'early'),
      () => P.download(g1, att1),
      () => P.setChannelMeta(general1, { description: 'pending' }),
    ]) {
      await refused(call, 403, 'NOT_A_MEMBER');
    }
  });

  test('a member cannot act as owner or admin', async () => {
    for (const call of [
      () => C.rename(g1, 'taken over'),
      () => C.createChannel(g1, 'mine'),
      () => C.renameChannel(random1, 'mine'),
      () => C.deleteChannel(random1),
      () => C.rekey(g1),
      () => C.ban(g1, wb.address),
      () => C.rotateInvite(g1),
      () => C.setPublic(g1, true),
      () => C.setServerFlag(g1, 'server_distribute', true),
      () => C.setServerFlag(g1, 'server_store_history', false),
      () => C.approve(g1, wp.address),
      () => C.transferOwner(g1, wc.address),
      () => C.delete(g1),
    ]) {
      await refused(call, 403, 'INSUFFICIENT_ROLE');
    }
    const alias = async () =>
      raw(s.url, 'POST', '/groups/members/approve', { body: { group_id: g1, approve_user_id: wp.address, user_id: wc.address }, token: await wc.token() });
    await refusedRaw(alias, 403, 'INSUFFICIENT_ROLE');
  });

  test('an admin cannot ban the owner nor hand ownership on', async () => {
    expect(await A.role(g3)).toEqual({ role: 'admin' });
    await refused(() => A.ban(g3, wb.address), 403, 'INSUFFICIENT_ROLE');
    await refused(() => A.transferOwner(g3, wa.address), 403, 'INSUFFICIENT_ROLE');
    expect(await B.role(g3)).toEqual({ role: 'owner' });
  });

  test('sender_id must be the caller', async () => {
    if (mode === 'strict') {
      // B's token cannot post as C (a member) nor as X (a non-member).
      await refusedRaw(() => send(wb, { sender_id: wc.address }), 403, 'KEY_MISMATCH');
      await refusedRaw(() => send(wb, { sender_id: wx.address }), 403, 'KEY_MISMATCH');
      return;
    }
    // compat: the asserted sender_id IS the actor (no proof exists in this mode), so a sender_id
    // of a non-member is refused ...
    await refusedRaw(() => send(wb, { sender_id: wx.address }), 403, 'NOT_A_MEMBER');
    // ... while naming another member is accepted and recorded as that member, as on the original
    // server. Only strict mode binds sender_id to a proven key.
    const before = (await A.fetch(g1, general1)).messages.length;
    const accepted = await send(wb, { sender_id: wc.address });
    expect(accepted).toEqual({ status: 200, body: { status: 'ok', id: expect.any(String), timestamp: expect.any(Number) } });
    const after = (await A.fetch(g1, general1)).messages;
    expect(after).toHaveLength(before + 1);
    expect(after.at(-1)).toMatchObject({ id: (accepted.body as { id: string }).id, sender_id: wc.address });
  });

  test("members/keys is for members; a member stores only its own key, owners distribute everyone's", async () => {
    const sealedFor = (w: WhisprClient) => toBase64(seal(Buffer.from(w.address, 'hex'), key1));
    await refused(() => C.updateMemberKey(g1, wb.address, sealedFor(wb), 1), 403, 'INSUFFICIENT_ROLE');
    const viaQueryOnly = async () =>
      raw(s.url, 'POST', '/groups/members/keys/update', {
        query: { group_id: g1, user_id: wb.address, encrypted_key_b64: sealedFor(wb), key_version: 1 },
        token: await wc.token(),
      });
    if (mode === 'strict') {
      // The original client's form (no by_user_id): the actor is still the token's subject, C.
      await refusedRaw(viaQueryOnly, 403, 'INSUFFICIENT_ROLE');
    } else {
      // compat: without by_user_id the actor is user_id itself (the original form), i.e. a self-store.
      expect(await viaQueryOnly()).toEqual({ status: 200, body: { status: 'ok' } });
    }
    const members = (await C.memberKeys(g1)).members;
    expect(members.map((m) => m.user_id).sort()).toEqual([wa.address, wb.address, wc.address].sort());
    expect(await C.updateMemberKey(g1, wc.address, sealedFor(wc), 1)).toEqual({ status: 'ok' });
    expect(await A.updateMemberKey(g1, wb.address, sealedFor(wb), 1)).toEqual({ status: 'ok' });
    for (const member of [B, C]) expect(Buffer.from((await member.myKey(g1)).key).equals(key1)).toBe(true);
  });

  test('a channel must belong to the group named with it', async () => {
    await refused(() => B.send(g1, general2, key1, 1, 'cross'), 404, 'CHANNEL_NOT_FOUND');
    await refused(() => B.fetch(g1, general2), 404, 'CHANNEL_NOT_FOUND');
    await refused(() => B.send(g2, general1, key1, 1, 'cross'), 404, 'CHANNEL_NOT_FOUND');
    await refused(() => B.fetch(g2, general1), 404, 'CHANNEL_NOT_FOUND');
    // Channel routes find the group through the channel: C is no member of G2.
    await refused(() => C.setChannelMeta(general2, { topic: 'cross' }), 403, 'NOT_A_MEMBER');
  });

  test('an attachment is read through its own group only', async () => {
    await refused(() => A.download(g1, att2), 404, 'NOT_FOUND');
    // Even a member of both groups cannot name the wrong one.
    await refused(() => B.download(g1, att2), 404, 'NOT_FOUND');
    await refused(() => B.download(g2, att1), 404, 'NOT_FOUND');
    await refused(() => A.download(g2, att2), 403, 'NOT_A_MEMBER');
    expect(text(await B.download(g2, att2))).toBe('file in beta');
    expect(text(await C.download(g1, att1))).toBe('file in alpha');
  });

  test('a duplicate channel name is 409 on create and rename', async () => {
    await refused(() => A.createChannel(g1, 'general'), 409, 'CHANNEL_EXISTS');
    await refused(() => A.renameChannel(random1, 'general'), 409, 'CHANNEL_EXISTS');
    // The same name in another group is fine.
    expect(await B.createChannel(g2, 'random')).toMatchObject({ status: 'created' });
  });

  test('the owner cannot leave', async () => {
    await refused(() => A.leave(g1), 409, 'OWNER_CANNOT_LEAVE');
    await refused(() => B.leave(g3), 409, 'OWNER_CANNOT_LEAVE');
  });

  test.runIf(mode === 'strict')('strict: a token is required and it must be for the user_id named', async () => {
    const rename = (token: string | undefined, userId: string | undefined) =>
      raw(s.url, 'POST', '/groups/rename', { body: { group_id: g1, new_name: 'hijacked', ...(userId === undefined ? {} : { user_id: userId }) }, token });
    await refusedRaw(() => rename(undefined, wa.address), 401, 'TOKEN_REQUIRED');
    await refusedRaw(async () => rename(await wb.token(), wa.address), 403, 'KEY_MISMATCH');
    await refusedRaw(() => rename('not-a-token', wa.address), 401, 'TOKEN_INVALID');
    await refusedRaw(async () => rename(await wb.token(), undefined), 403, 'INSUFFICIENT_ROLE');
    await refusedRaw(() => raw(s.url, 'GET', '/groups/members/keys', { query: { group_id: g1, user_id: wb.address } }), 401, 'TOKEN_REQUIRED');
    await refusedRaw(() => raw(s.url, 'GET', '/groups/info', { query: { group_id: g1, user_id: wa.address } }), 401, 'TOKEN_REQUIRED');
    await refusedRaw(
      async () =>
        raw(s.url, 'POST', '/groups/messages/fetch', { query: { user_id: wa.address }, body: { group_id: g1, channel_id: general1 }, token: await wx.token() }),
      403,
      'KEY_MISMATCH',
    );
    await refusedRaw(
      async () =>
        raw(s.url, 'POST', '/groups/members/keys/update', {
          query: { group_id: g1, user_id: wb.address, encrypted_key_b64: 'AAAA', key_version: 1, by_user_id: wa.address },
          token: await wc.token(),
        }),
      403,
      'KEY_MISMATCH',
    );
  });

  test.runIf(mode === 'compat')('compat: the actor is the asserted user_id, which must be given', async () => {
    const rename = (userId: string | undefined) =>
      raw(s.url, 'POST', '/groups/rename', { body: { group_id: g1, new_name: 'hijacked', ...(userId === undefined ? {} : { user_id: userId }) } });
    await refusedRaw(() => rename(wc.address), 403, 'INSUFFICIENT_ROLE');
    await refusedRaw(() => rename(wx.address), 403, 'NOT_A_MEMBER');
    await refusedRaw(() => rename(undefined), 400, 'VALIDATION_FAILED');
  });
});
