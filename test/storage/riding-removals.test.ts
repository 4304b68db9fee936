import { describe, expect, test } from 'vitest';
import { RidingRemovals } from '../../src/storage/postgres/riding-removals.js';

describe('RidingRemovals', () => {
  test('waiting removals ride with the next statement and settle with it; none is removed twice', async () => {
    const alone: number[][] = [];
    const removals = new RidingRemovals(async (ids) => alone.push(ids), 60_000);
    const first = removals.add([1, 2]);
    const second = removals.add([3]);
    const carried: number[][] = [];
    expect(
      await removals.carry(async (ids) => {
        carried.push(ids);
        return 'leased';
      }),
    ).toBe('leased');
    await expect(Promise.all([first, second])).resolves.toEqual([undefined, undefined]);
    expect(carried).toEqual([[1, 2, 3]]);
    // Nothing waits any more: the next statement carries nothing, and nothing is removed alone.
    await removals.carry(async (ids) => carried.push(ids));
    expect(carried[1]).toEqual([]);
    expect(alone).toEqual([]);
  });

  test('a removal no statement carries is removed on its own after the wait', async () => {
    const alone: number[][] = [];
    const removals = new RidingRemovals(async (ids) => alone.push(ids), 5);
    await removals.add([7]);
    expect(alone).toEqual([[7]]);
    await expect(removals.add([])).resolves.toBeUndefined();
    expect(alone).toHaveLength(1);
  });

  test('when the carrying statement fails, its removals fail with it (the rows stay leased, then expire)', async () => {
    const removals = new RidingRemovals(async () => undefined, 60_000);
    const waiting = removals.add([9]);
    const failure = new Error('database unavailable');
    await expect(
      removals.carry(async () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    await expect(waiting).rejects.toBe(failure);
  });
});
