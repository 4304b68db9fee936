/**
 * What every MessageBus driver must do. `node()` is a bus of another server process; for the
 * in-process bus every node is the same bus, since one process is the whole deployment.
 */
import { expect, test } from 'vitest';
import type { MessageBus } from '../../src/bus/message-bus.js';
import { eventually } from '../support/eventually.js';

export interface BusNodes {
  node(): Promise<MessageBus>;
}

/** Everything a handler received, in order. */
function recorder() {
  const received: unknown[] = [];
  return { received, handler: (payload: unknown) => void received.push(payload) };
}

/**
 * Publishes a marker on a fresh channel and waits for it: messages of one publisher arrive in order,
 * so anything published before it that was going to arrive has arrived.
 */
async function settle(publisher: MessageBus, subscriber: MessageBus): Promise<void> {
  const marker = recorder();
  const channel = `settle-${Math.random()}`;
  const unsubscribe = await subscriber.subscribe(channel, marker.handler);
  await publisher.publish(channel, 'marker');
  await eventually(() => marker.received.length === 1);
  await unsubscribe();
}

export function messageBusContract(nodes: () => BusNodes): void {
  test('a payload published on one node reaches a subscriber on another as the same JSON value', async () => {
    const [publisher, subscriber] = [await nodes().node(), await nodes().node()];
    const { received, handler } = recorder();
    await subscriber.subscribe('round-trip', handler);
    const payloads = [{ type: 'message', id: 7, nested: { list: [1, 'two', null, true], unicode: 'héllo ✓' } }, 'text', 42.5, false, null, []];
    for (const payload of payloads) await publisher.publish('round-trip', payload);
    await eventually(() => received.length === payloads.length);
    expect(received).toEqual(payloads);
  });

  test('every handler of a channel gets each message, the same function subscribed twice gets it twice', async () => {
    const [publisher, subscriber] = [await nodes().node(), await nodes().node()];
    const first = recorder();
    const second = recorder();
    await subscriber.subscribe('fan-out', first.handler);
    await subscriber.subscribe('fan-out', first.handler);
    await subscriber.subscribe('fan-out', second.handler);
    await publisher.publish('fan-out', { n: 1 });
    await eventually(() => first.received.length === 2 && second.received.length === 1);
    await settle(publisher, subscriber);
    expect(first.received).toEqual([{ n: 1 }, { n: 1 }]);
  });

  test('after unsubscribe a handler gets nothing more, the others still do; unsubscribing twice is harmless', async () => {
    const [publisher, subscriber] = [await nodes().node(), await nodes().node()];
    const leaving = recorder();
    const staying = recorder();
    const unsubscribe = await subscriber.subscribe('leave', leaving.handler);
    const unsubscribeStaying = await subscriber.subscribe('leave', staying.handler);
    await unsubscribe();
    await unsubscribe();
    await publisher.publish('leave', 1);
    await eventually(() => staying.received.length === 1);
    await unsubscribeStaying();
    await publisher.publish('leave', 2);
    await settle(publisher, subscriber);
    expect(leaving.received).toEqual([]);
    expect(staying.received).toEqual([1]);
  });

  test('many channels: each subscriber gets exactly its own channel', async () => {
    const [publisher, subscriber] = [await nodes().node(), await nodes().node()];
    const recorders = Array.from({ length: 50 }, () => recorder());
    await Promise.all(recorders.map((r, i) => subscriber.subscribe(`channel-${i}`, r.handler)));
    await Promise.all(recorders.map((_, i) => publisher.publish(`channel-${i}`, i)));
    await eventually(() => recorders.every((r) => r.received.length > 0));
    await settle(publisher, subscriber);
    recorders.forEach((r, i) => {
      expect(r.received).toEqual([i]);
    });
  });

  test('publishing to a channel nobody listens to is fine', async () => {
    const publisher = await nodes().node();
    await expect(publisher.publish('nobody-listens', { n: 1 })).resolves.toBeUndefined();
  });
}
