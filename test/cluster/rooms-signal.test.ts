/** Ephemeral rooms (/rooms) and call signaling (/signal) with the participants on different nodes. */
import { afterEach, describe, expect, test } from 'vitest';
import type WebSocket from 'ws';
import { openWs } from '../relay/helpers.js';
import { CIPHERTEXT, RoomClient } from '../rooms/room-helpers.js';
import { signalPeers } from '../calls/signal-peer.js';
import { clusterServicesAvailable, useCluster, wsOf, type ClusterNode } from './cluster-kit.js';

const available = await clusterServicesAvailable('test/cluster/rooms-signal.test.ts');

describe.runIf(available)('cluster: rooms and /signal across nodes', () => {
  const ctx = useCluster();
  const opened: WebSocket[] = [];
  afterEach(() => {
    for (const ws of opened.splice(0)) ws.terminate();
  });
  const signalPeer = signalPeers();
  const room = async (node: ClusterNode) => {
    const client = new RoomClient(await openWs(wsOf(node, '/rooms')));
    opened.push(client.ws);
    return client;
  };

  test('two users on A and B in one room: userList shows both; message, typing and reaction cross; userLeft on disconnect', async () => {
    const { A, B } = ctx.cluster;
    const roomId = `r${Date.now()}`;
    const alice = await room(A);
    const bob = await room(B);
    expect(await alice.join(roomId, 'alice', 'Alice')).toEqual([]);
    // Bob, on another node, sees Alice already there; Alice hears Bob join.
    expect(await bob.join(roomId, 'bob', 'Bob')).toEqual([{ id: 'alice', name: 'Alice', avatar: null }]);
    expect(await alice.next('userJoined')).toEqual({ type: 'userJoined', payload: { userId: 'bob', username: 'Bob' } });

    alice.send({ type: 'message', payload: { encrypted: CIPHERTEXT } });
    const message = await bob.next('message');
    expect(message).toEqual({ type: 'message', payload: CIPHERTEXT, id: expect.any(String), timestamp: expect.any(String) });

    bob.send({ type: 'typing', payload: { isTyping: true } });
    expect(await alice.next('userTyping')).toEqual({ type: 'userTyping', payload: { userId: 'bob', isTyping: true } });

    bob.send({ type: 'reaction', payload: { messageId: message.id, emoji: '👍' } });
    const reaction = { type: 'reaction', messageId: message.id, user: { id: 'bob', name: 'Bob', avatar: null }, emoji: '👍', action: 'add' };
    expect(await alice.next('reaction')).toEqual(reaction);
    expect(await bob.next('reaction')).toEqual(reaction); // the sender included

    // A third user on C sees both of them.
    const carol = await room(ctx.cluster.C);
    const users = await carol.join(roomId, 'carol', 'Carol');
    expect(users.map((u) => u.id).sort()).toEqual(['alice', 'bob']);

    bob.ws.terminate();
    expect(await alice.next('userLeft')).toEqual({ type: 'userLeft', payload: { userId: 'bob' } });
    expect(await carol.next('userLeft')).toEqual({ type: 'userLeft', payload: { userId: 'bob' } });
    // Nothing was echoed to the sender of the message.
    await alice.sync();
    expect(alice.frames.filter((f) => f.type === 'message')).toEqual([]);
  });

  test('/signal: a call pair on A and B gets peer-join and signals both ways, peer-leave on disconnect', async () => {
    const { A, B } = ctx.cluster;
    const token = await ctx.cluster.client(A).authenticate('x25519');
    const callId = `call-${Date.now()}`;
    const peer = (node: ClusterNode) => signalPeer(node, token);
    const caller = await peer(A);
    const callee = await peer(B);
    await caller.join(callId);
    callee.send({ type: 'join', call_id: callId });
    await caller.next((f) => f.type === 'peer-join');

    const offer = { enc: 'c2VhbGVkIG9mZmVy' };
    caller.send({ type: 'signal', call_id: callId, payload: offer });
    expect(await callee.next((f) => f.type === 'signal')).toEqual({ type: 'signal', payload: offer });
    const answer = { enc: 'c2VhbGVkIGFuc3dlcg==' };
    callee.send({ type: 'signal', call_id: callId, payload: answer });
    expect(await caller.next((f) => f.type === 'signal')).toEqual({ type: 'signal', payload: answer });
    // A third socket on C cannot join a full call (call_max_participants 2, counted cluster-wide).
    const third = await peer(ctx.cluster.C);
    third.send({ type: 'join', call_id: callId });
    expect(await third.next((f) => f.type === 'error')).toMatchObject({ type: 'error', error_code: 'CALL_FULL' });

    callee.ws.terminate();
    await caller.next((f) => f.type === 'peer-leave');
    // No echo to either sender.
    expect(caller.frames.filter((f) => f.type === 'signal')).toEqual([{ type: 'signal', payload: answer }]);
  });
});
