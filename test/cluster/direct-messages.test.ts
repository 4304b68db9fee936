/** Direct messages and group events across three nodes (PostgreSQL + Redis, strict mode). */
import { afterEach, describe, expect, test } from 'vitest';
import { GroupClient, newGroupKey, openSealed, type GroupMessageItem, toBase64, text } from 'whispr-sdk';
import { clusterServicesAvailable, httpCall, pushSocket, useCluster, wsOf, type Listener } from './cluster-kit.js';
import { openWs } from '../relay/helpers.js';

const available = await clusterServicesAvailable('test/cluster/direct-messages.test.ts');

describe.runIf(available)('cluster: direct messages and groups across nodes', () => {
  const ctx = useCluster();
  const listeners: Listener[] = [];
  afterEach(() => {
    for (const l of listeners.splice(0)) l.close();
  });

  test('a message sent (signed /send) on A reaches the recipient push socket on B, once, verified', async () => {
    const { A, B } = ctx.cluster;
    const alice = ctx.cluster.client(A);
    const bob = ctx.cluster.client(B);
    const socket = await pushSocket(bob, () => B);
    listeners.push(socket);

    const sent = await alice.send(bob.address, 'hello across nodes');
    expect(sent).toEqual({ status: 'ok', id: expect.any(Number), timestamp: expect.any(Number), duplicate: false });
    const frame = await socket.next((f) => f.id === sent.id);
    expect(frame).toMatchObject({ id: sent.id, from: alice.signingKey, enc_pub: alice.address, to: bob.address });
    const opened = bob.open(frame as never);
    expect(opened.verified).toBe(true);
    expect(text(opened.plaintext)).toBe('hello across nodes');
    // Pushed means removed: nothing is left for /inbox on any node.
    expect(await ctx.cluster.client(ctx.cluster.C, bob.identity).fetchInbox()).toEqual([]);
    expect(socket.frames.filter((f) => f.id === sent.id)).toHaveLength(1);
  });

  test('messages sent on A and B while the recipient is offline are fetched from /inbox on C, once', async () => {
    const { A, B, C } = ctx.cluster;
    const carol = ctx.cluster.client(C);
    const sent = [
      await ctx.cluster.client(A).send(carol.address, 'one'),
      await ctx.cluster.client(B).send(carol.address, 'two'),
      await ctx.cluster.client(A).send(carol.address, 'three'),
    ];
    const inbox = await carol.fetchInbox();
    expect(inbox.map((m) => m.id)).toEqual(sent.map((s) => s.id));
    expect(inbox.map((m) => text(carol.open(m).plaintext))).toEqual(['one', 'two', 'three']);
    // The fetch is a drain, on every node.
    for (const node of [A, B, C]) expect(await ctx.cluster.client(node, carol.identity).fetchInbox()).toEqual([]);
  });

  test('the sender copy of a send on A reaches the sender own socket on C', async () => {
    const { A, B, C } = ctx.cluster;
    const alice = ctx.cluster.client(A);
    const own = await pushSocket(ctx.cluster.client(C, alice.identity), () => C);
    listeners.push(own);
    const bob = ctx.cluster.client(B);
    const sent = await alice.send(bob.address, 'copy me');
    const copy = await own.next((f) => f.id === sent.id);
    expect(copy.to).toBe(bob.address);
    expect((await bob.fetchInbox()).map((m) => m.id)).toEqual([sent.id]);
  });

  test('key proof across nodes: challenge from A, answered on B (behind a load balancer they may differ); the token works on C, once', async () => {
    const { A, B, C } = ctx.cluster;
    const bob = ctx.cluster.client(A);
    const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const challenge = await httpCall(`${A.url}/auth/challenge`, json({ key: bob.address, key_type: 'x25519' }));
    expect(challenge.status).toBe(200);
    const nonce = toBase64(openSealed(bob.identity.encryption, Buffer.from(challenge.body.sealed_nonce as string, 'base64')));
    const issued = await httpCall(`${B.url}/auth/token`, json({ challenge_id: challenge.body.challenge_id, nonce }));
    expect(issued.status, JSON.stringify(issued.body)).toBe(200);
    // The challenge was taken: answering it again on C fails.
    const again = await httpCall(`${C.url}/auth/token`, json({ challenge_id: challenge.body.challenge_id, nonce }));
    expect(again.status).toBeGreaterThanOrEqual(400);
    expect(again.status).toBeLessThan(500);
    const ws = await openWs(wsOf(C, `/ws/${bob.address}?token=${encodeURIComponent(issued.body.access_token as string)}`));
    ws.terminate();
    const inbox = await httpCall(`${C.url}/inbox/${bob.address}`, { headers: { authorization: `Bearer ${issued.body.access_token as string}` } });
    expect(inbox).toEqual({ status: 200, body: { messages: [] } });
  });

  test('a group message posted on A is pushed to members connected to B and C', async () => {
    const { A, B, C } = ctx.cluster;
    const [wa, wb, wc] = [ctx.cluster.client(A), ctx.cluster.client(B), ctx.cluster.client(C)];
    const [owner, memberB, memberC] = [new GroupClient(wa), new GroupClient(wb), new GroupClient(wc)];
    const { id: group, invite_code } = await owner.create(`cluster-${Date.now()}`);
    expect(await memberB.join({ invite_code })).toMatchObject({ status: 'joined' });
    expect(await memberC.join({ invite_code })).toMatchObject({ status: 'joined' });
    const general = (await memberC.listChannels(group)).channels[0]!.id;
    const key = newGroupKey();
    await owner.distributeKey(group, key, 1);
    const onB = await pushSocket(wb, () => B);
    const onC = await pushSocket(wc, () => C);
    listeners.push(onB, onC);

    const sent = await owner.send(group, general, key, 1, 'to every node');
    for (const [socket, member] of [
      [onC, memberC],
      [onB, memberB],
    ] as const) {
      const pushed = await socket.next((f) => f.type === 'group_message' && (f.message as GroupMessageItem | undefined)?.id === sent.id);
      expect(pushed).toMatchObject({ type: 'group_message', group_id: group, channel_id: general });
      expect(member.decrypt(pushed.message as GroupMessageItem, (await member.myKey(group)).key)).toBe('to every node');
    }
    // A key-version change made on C reaches the member on B.
    await memberC.leave(group);
    await onB.next((f) => f.type === 'group_key_version' && f.group_id === group && f.key_version === 2 && f.reason === 'leave');
  });
});
