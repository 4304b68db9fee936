// The queues feature's public surface: code outside src/features/queues imports only this file.
export { capReached, fairShareRefusal, type FullQueue, type Origin, type QueueCaps, type ShareCounts, storedOrigin } from './fair-share.js';
export { QueueHub } from './queue-hub.js';
export { openQueueSession } from './queue-session.js';
export type { AppendResult, NewEvent, QueuedEvent, UserQueueStore } from './user-queue-store.js';
