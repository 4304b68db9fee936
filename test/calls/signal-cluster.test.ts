/** WS /signal across two nodes (two servers on one Redis): a call's participants on different nodes. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sleep } from '../relay/helpers.js';
import { deleteKeys, startNodes } from '../rooms/cluster-helpers.js';
import { requireRedis } from '../support/services.js';
import type { Config } from '../../src/config/settings.js';
import type { RunningServer } from '../support/test-server.js';
import { errorFrame, signalPeers, type Peer } from './signal-peer.js';

const available = await requireRedis('test/calls/signal-cluster.test.ts');

const peer = signalPeers();

/** Two nodes for the tests of one describe, and a token (good on both: one jwt_secret). */
function twoNodes(overrides: Partial<Config> = {}) {
  const nodes = { a: undefined as unknown as RunningServer, b: undefined as unknown as RunningServer, token: '' };
  let prefix = '';
  beforeAll(async () => {
    ({
      prefix,
      nodes: [nodes.a, nodes.b],
    } = await startNodes(overrides));
    nodes.token = await nodes.a.client().authenticate('x25519');
  });
  afterAll(async () => {
    await Promise.all([nodes.a?.stop(), nodes.b?.stop()]);
    await deleteKeys(prefix);
  });
  /** `first` on node a and `second` on node b in `callId`; `first` saw the peer-join. */
  const pair = async (callId: string): Promise<[Peer, Peer]> => {
    const [first, second] = [await peer(nodes.a, nodes.token), await peer(nodes.b, nodes.token)];
    await first.join(callId);
    second.send({ type: 'join', call_id: callId });
    expect(await first.upTo(1)).toEqual([{ type: 'peer-join' }]);
    return [first, second];
  };
  return { nodes, pair };
}

describe.runIf(available)('/signal on two nodes', () => {
  const { nodes, pair } = twoNodes();

  test('peer-join, signals both ways (verbatim, no echo) and peer-leave cross the nodes', async () => {
    const [caller, callee] = await pair('x-call-1');
    const offer = { enc: 'c2VhbGVk', nested: { list: [1, null, 'two'] } };
    caller.send({ type: 'signal', call_id: 'x-call-1', payload: offer });
    expect(await callee.upTo(1)).toEqual([{ type: 'signal', payload: offer }]);
    callee.send({ type: 'signal', call_id: 'x-call-1', payload: { sdp: 'answer' } });
    expect(await caller.upTo(2)).toEqual([{ type: 'peer-join' }, { type: 'signal', payload: { sdp: 'answer' } }]);

    callee.send({ type: 'leave', call_id: 'x-call-1' });
    expect((await caller.upTo(3))[2]).toEqual({ type: 'peer-leave' });
    callee.send({ type: 'join', call_id: 'x-call-1' });
    expect((await caller.upTo(4))[3]).toEqual({ type: 'peer-join' });
    callee.ws.terminate();
    expect((await caller.upTo(5))[4]).toEqual({ type: 'peer-leave' });
    await sleep(50);
    expect(caller.frames).toHaveLength(5);
    expect(callee.frames).toEqual([{ type: 'signal', payload: offer }]);
  });

  test('CALL_FULL counts the participants of both nodes; NOT_IN_CALL holds for a socket of either node', async () => {
    const [first, second] = await pair('x-call-2');
    const [thirdA, thirdB] = [await peer(nodes.a, nodes.token), await peer(nodes.b, nodes.token)];
    thirdA.send({ type: 'join', call_id: 'x-call-2' });
    thirdB.send({ type: 'join', call_id: 'x-call-2' });
    expect(await thirdA.upTo(1)).toEqual([errorFrame('CALL_FULL')]);
    expect(await thirdB.upTo(1)).toEqual([errorFrame('CALL_FULL')]);
    thirdB.send({ type: 'signal', call_id: 'x-call-2', payload: 'forged' });
    thirdA.send({ type: 'signal', call_id: 'x-call-2', payload: 'forged' });
    expect((await thirdB.upTo(2))[1]).toEqual(errorFrame('NOT_IN_CALL'));
    expect((await thirdA.upTo(2))[1]).toEqual(errorFrame('NOT_IN_CALL'));
    // A marker through the call: anything forged would have arrived before it.
    first.send({ type: 'signal', call_id: 'x-call-2', payload: 'marker' });
    expect(await second.upTo(1)).toEqual([{ type: 'signal', payload: 'marker' }]);
    second.send({ type: 'signal', call_id: 'x-call-2', payload: 'marker' });
    expect(await first.upTo(2)).toEqual([{ type: 'peer-join' }, { type: 'signal', payload: 'marker' }]);

    // A place freed on node b is taken on node a.
    second.send({ type: 'leave', call_id: 'x-call-2' });
    expect((await first.upTo(3))[2]).toEqual({ type: 'peer-leave' });
    thirdA.send({ type: 'join', call_id: 'x-call-2' });
    expect((await first.upTo(4))[3]).toEqual({ type: 'peer-join' });
  });
});

describe.runIf(available)('call_room_timeout_seconds on two nodes', () => {
  // Long enough for both joins to be in before it strikes, however loaded the machine.
  const { pair } = twoNodes({ call_room_timeout_seconds: 2 });

  test('the first node whose timer runs out closes the call on both nodes', async () => {
    const [first, second] = await pair('x-call-3');
    expect((await first.upTo(2))[1]).toEqual(errorFrame('CALL_TIMEOUT'));
    expect(await second.upTo(1)).toEqual([errorFrame('CALL_TIMEOUT')]);
    second.send({ type: 'signal', call_id: 'x-call-3', payload: 'late' });
    expect((await second.upTo(2))[1]).toEqual(errorFrame('NOT_IN_CALL'));
    await sleep(50);
    expect(first.frames).toHaveLength(2);
  });
});
