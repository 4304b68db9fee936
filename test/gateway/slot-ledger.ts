/** A ConnectionSlots driver wrapped to keep account of what the gateway takes and gives back. */
import type { ConnectionSlots } from '../../src/cluster/connection-slots.js';

export interface SlotLedger extends ConnectionSlots {
  /** Slots taken and not given back, over every key. */
  outstanding(): number;
  /** Gives back of a key that held nothing: a slot released twice (or never taken). */
  overReleases(): number;
}

/** `beforeAcquire`: awaited before each acquire goes to the driver (a test can hold acquisitions there). */
export function slotLedger(driver: ConnectionSlots, beforeAcquire: () => Promise<void> = async () => undefined): SlotLedger {
  const held = new Map<string, number>();
  let over = 0;
  return {
    async acquire(key, cap) {
      await beforeAcquire();
      const granted = await driver.acquire(key, cap);
      if (granted) held.set(key, (held.get(key) ?? 0) + 1);
      return granted;
    },
    async release(key) {
      const count = held.get(key) ?? 0;
      if (count === 0) over += 1;
      else held.set(key, count - 1);
      await driver.release(key);
    },
    close: () => driver.close(),
    outstanding: () => [...held.values()].reduce((sum, n) => sum + n, 0),
    overReleases: () => over,
  };
}
