/**
 * Date under the test's control for one describe block: the test and every in-process server started
 * in that block read it (limiters, analytics days, timestamps). Only Date is faked; timers stay real.
 */
import { afterAll, beforeAll, vi } from 'vitest';

/** A day with no UTC midnight near its noon. */
export const PINNED_DAY = '2030-03-04';

function fakeDateInBlock(options: { now?: number; shouldAdvanceTime: boolean }): void {
  beforeAll(() => void vi.useFakeTimers({ toFake: ['Date'], ...options }));
  afterAll(() => void vi.useRealTimers());
}

/** Date stands still: a rate limiter refills nothing however long the block takes. */
export const stoppedDate = () => fakeDateInBlock({ shouldAdvanceTime: false });

/** Date starts at noon UTC of PINNED_DAY and runs on in real time: the block cannot straddle a UTC midnight. */
export const pinnedDay = () => fakeDateInBlock({ now: Date.parse(`${PINNED_DAY}T12:00:00Z`), shouldAdvanceTime: true });

/** Moves a faked Date `ms` on, as if that much time had passed. */
export const advanceDate = (ms: number) => void vi.setSystemTime(Date.now() + ms);
