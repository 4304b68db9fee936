/**
 * What every ConnectionSlots driver must do. `node()` is the slots of another server process; for
 * the in-process driver it is the same instance, since one process is the whole deployment.
 */
import { expect, test } from 'vitest';
import type { ConnectionSlots } from '../../src/cluster/connection-slots.js';

export interface SlotNodes {
  node(): Promise<ConnectionSlots>;
}

export function connectionSlotsContract(nodes: () => SlotNodes): void {
  test('a cap holds across nodes; a released slot can be taken on any node; keys are separate', async () => {
    const [a, b] = [await nodes().node(), await nodes().node()];
    expect(await a.acquire('10.0.0.1', 3)).toBe(true);
    expect(await a.acquire('10.0.0.1', 3)).toBe(true);
    expect(await b.acquire('10.0.0.1', 3)).toBe(true);
    expect(await a.acquire('10.0.0.1', 3)).toBe(false);
    expect(await b.acquire('10.0.0.1', 3)).toBe(false);
    expect(await b.acquire('10.0.0.2', 3)).toBe(true);
    await a.release('10.0.0.1');
    expect(await b.acquire('10.0.0.1', 3)).toBe(true);
    expect(await a.acquire('10.0.0.1', 3)).toBe(false);
  });

  test('20 concurrent acquires on two nodes with cap 5: exactly 5 granted', async () => {
    const nodesUp = [await nodes().node(), await nodes().node()];
    const granted = await Promise.all(Array.from({ length: 20 }, (_, i) => (nodesUp[i % 2] as ConnectionSlots).acquire('burst', 5)));
    expect(granted.filter(Boolean)).toHaveLength(5);
  });

  test('a release without an acquire is harmless and adds no slot', async () => {
    const slots = await nodes().node();
    await slots.release('never');
    expect(await slots.acquire('never', 1)).toBe(true);
    expect(await slots.acquire('never', 1)).toBe(false);
  });

  test('a node that closes gives its slots back', async () => {
    const [a, b] = [await nodes().node(), await nodes().node()];
    expect(await a.acquire('closing', 1)).toBe(true);
    await a.close();
    expect(await b.acquire('closing', 1)).toBe(true);
  });
}
