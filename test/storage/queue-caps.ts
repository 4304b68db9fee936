import type { QueueCaps } from '../../src/features/queues/fair-share.js';

/** Caps with no fair share below the total: what the tests that are not about the shares queue with. */
export const capOf = (total: number): QueueCaps => ({ total, perSender: total, perAddress: total });
