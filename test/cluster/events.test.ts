/** Chat-app events (durable per-user queues) with poster and recipient on different nodes. */
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import type WebSocket from 'ws';
import { ChatEventsClient, type ChatEvent } from 'whispr-sdk';
import { eventually } from '../support/eventually.js';
import { startOidcProvider, type OidcProvider } from '../support/oidc-provider.js';
import { chatUser, clusterServicesAvailable, oidcEnv, rawSocket, useCluster, wsOf, type ClusterNode, type Frame } from './cluster-kit.js';

const available = await clusterServicesAvailable('test/cluster/events.test.ts');

describe.runIf(available)('cluster: chat-app events across nodes', () => {
  let oidc: OidcProvider;
  const ctx = useCluster(async () => {
    oidc = await startOidcProvider();
    return { env: oidcEnv(oidc) };
  });
  afterAll(async () => oidc?.close());
  const opened: WebSocket[] = [];
  afterEach(() => {
    for (const ws of opened.splice(0)) ws.terminate();
  });

  /** A user registered through `node`, posting through `node`. */
  const user = async (node: ClusterNode) => {
    const { id, token } = await chatUser(oidc, node);
    return { id, token, events: new ChatEventsClient(node.url, () => token) };
  };
  type User = Awaited<ReturnType<typeof user>>;
  const socket = async (u: User, node: ClusterNode) => {
    const s = await rawSocket(wsOf(node, `/ws/${encodeURIComponent(u.id)}?token=${encodeURIComponent(u.token)}`));
    opened.push(s.ws);
    const events = () => s.frames.filter((f) => typeof f.event_id === 'string') as unknown as ChatEvent[];
    /** Every frame the server sent before the pong has arrived, and every frame sent before the ping was handled. */
    const sync = async () => {
      const pongs = () => s.frames.filter((f: Frame) => f.type === 'pong').length;
      const before = pongs();
      s.ws.send(JSON.stringify({ type: 'ping' }));
      await eventually(() => pongs() > before, 3_000);
    };
    return {
      ...s,
      events,
      sync,
      ack: (eventId: string) => s.ws.send(JSON.stringify({ type: 'ACK', event_id: eventId })),
      waitEvents: async (n: number) => {
        await eventually(() => events().length >= n, 3_000).catch(() => {
          throw new Error(`expected ${n} events on ${node.name}; got ${JSON.stringify(s.frames)}`);
        });
        return events();
      },
    };
  };
  const message = (from: User, to: User, text: string) => ({
    recipient_id: to.id,
    sender_id: from.id,
    event_type: 'MESSAGE',
    metadata: { chat_id: `${from.id}:${to.id}` },
    encrypted_payload: Buffer.from(text).toString('base64'),
  });
  /**
   * Posts a marker to the socket's user and returns the ids of the events the socket has once the
   * marker is among them: a queue is read in sequence order, so anything still queued from before
   * the marker would have arrived ahead of it.
   */
  const eventIdsUpToMarker = async (from: User, to: User, s: Awaited<ReturnType<typeof socket>>) => {
    const marker = await from.events.post(message(from, to, 'marker'));
    await eventually(() => s.events().some((e) => e.event_id === marker.event_id), 3_000);
    return { marker: marker.event_id, ids: s.events().map((e) => e.event_id) };
  };

  test('POST on A reaches the socket on B; ACK on B; a reconnect on C gets nothing more', async () => {
    const { A, B, C } = ctx.cluster;
    const alice = await user(A);
    const bob = await user(B);
    const onB = await socket(bob, B);

    const posted = await alice.events.post(message(alice, bob, 'first'));
    // The answer does not say whether the recipient is online (that would be a presence oracle).
    expect(posted).toEqual({ success: true, event_id: expect.any(String) });
    const [event] = await onB.waitEvents(1);
    expect(event).toMatchObject({ event_id: posted.event_id, recipient_id: bob.id, sender_id: alice.id, event_type: 'MESSAGE' });
    expect(Buffer.from(event!.encrypted_payload, 'base64').toString()).toBe('first');

    onB.ack(posted.event_id);
    await onB.sync(); // the ACK was handled before the pong
    onB.ws.close();
    await onB.closed;

    const onC = await socket(bob, C);
    const { marker, ids } = await eventIdsUpToMarker(alice, bob, onC);
    expect(ids).toEqual([marker]);
  });

  test('an unacknowledged event and one posted while offline arrive in sequence on another node', async () => {
    const { A, B, C } = ctx.cluster;
    const alice = await user(C);
    const bob = await user(A);
    const onA = await socket(bob, A);
    const first = await alice.events.post(message(alice, bob, 'unacked'));
    await onA.waitEvents(1);
    onA.ws.close(); // not acknowledged
    await onA.closed;
    // Offline on every node: the event waits in bob's queue (the answer does not say whether bob is online).
    const second = await alice.events.post(message(alice, bob, 'offline'));

    const onB = await socket(bob, B);
    const events = await onB.waitEvents(2);
    expect(events.map((e) => e.event_id)).toEqual([first.event_id, second.event_id]);
    const sequences = events.map((e) => e.sequence);
    expect([...sequences].sort((x, y) => x - y)).toEqual(sequences);
    for (const e of events) onB.ack(e.event_id);
    await onB.sync();
    const again = await socket(bob, C);
    const { marker, ids } = await eventIdsUpToMarker(alice, bob, again);
    expect(ids).toEqual([marker]);
  });

  test('two sockets of one user on B and C both get an event posted on A', async () => {
    const { A, B, C } = ctx.cluster;
    const alice = await user(A);
    const bob = await user(B);
    const [onB, onC] = [await socket(bob, B), await socket(bob, C)];
    const posted = await alice.events.post(message(alice, bob, 'fan-out'));
    for (const s of [onB, onC]) expect((await s.waitEvents(1)).map((e) => e.event_id)).toEqual([posted.event_id]);
  });
});
