/** FrameOrder: a connection's frames handled in arrival order, at once while nothing waits for a promise. */
import { expect, test } from 'vitest';
import { FrameOrder } from '../../src/cluster/frame-order.js';

class Known extends Error {}

class Recorder extends FrameOrder {
  readonly failed: unknown[] = [];
  readonly lostErrors: unknown[] = [];
  protected fail(err: unknown): void {
    if (!(err instanceof Known)) throw err;
    this.failed.push(err.message);
  }
  protected lost(err: unknown): void {
    this.lostErrors.push(err);
  }
}

const later = <T>(value: T, ms = 10) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

test('synchronous handlings run at once; a known error is answered, an unknown one thrown to the caller', () => {
  const order = new Recorder();
  const ran: number[] = [];
  expect(order.inOrder(() => void ran.push(1))).toBe(true);
  order.inOrder(() => {
    throw new Known('bad frame');
  });
  expect(ran).toEqual([1]);
  expect(order.failed).toEqual(['bad frame']);
  expect(() =>
    order.inOrder(() => {
      throw new Error('bug');
    }),
  ).toThrow('bug');
});

test('frames after a pending handling wait for it, in order, and errors after a promise are answered or reported', async () => {
  const order = new Recorder();
  const ran: string[] = [];
  order.inOrder(async () => {
    await later(undefined, 30);
    ran.push('join');
    throw new Known('full');
  });
  order.inOrder(() => void ran.push('message'));
  order.inOrder(() => {
    throw new Error('bug');
  });
  order.inOrder(() => void ran.push('close'), true);
  expect(ran).toEqual([]);
  await later(undefined, 60);
  expect(ran).toEqual(['join', 'message', 'close']);
  expect(order.failed).toEqual(['full']);
  expect(order.lostErrors).toHaveLength(1);
  // Nothing pending any more: at once again.
  order.inOrder(() => void ran.push('after'));
  expect(ran.at(-1)).toBe('after');
});

test('at most MAX_WAITING frames wait; more are refused, the close never', async () => {
  const order = new Recorder();
  let ran = 0;
  order.inOrder(() => later(undefined, 20));
  for (let i = 0; i < FrameOrder.MAX_WAITING; i++)
    expect(
      order.inOrder(() => {
        ran += 1;
      }),
    ).toBe(true);
  expect(
    order.inOrder(() => {
      ran += 1;
    }),
  ).toBe(false);
  expect(
    order.inOrder(() => {
      ran += 1;
    }, true),
  ).toBe(true);
  await later(undefined, 50);
  expect(ran).toBe(FrameOrder.MAX_WAITING + 1);
});
