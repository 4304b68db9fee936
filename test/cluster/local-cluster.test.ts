import { afterEach, describe } from 'vitest';
import { createLocalConnectionSlots, type ConnectionSlots } from '../../src/cluster/connection-slots.js';
import { createLocalPresence, type Presence } from '../../src/cluster/presence.js';
import { connectionSlotsContract } from './connection-slots.contract.js';
import { presenceContract } from './presence.contract.js';

/** One process is one node: every node() of a test is the same instance, fresh per test. */
function sameInstance<T extends { close(): Promise<void> }>(create: () => T): () => { node(): Promise<T> } {
  let current: T | undefined;
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return () => ({ node: async () => (current ??= create()) });
}

describe('local presence', () => {
  presenceContract(sameInstance<Presence>(createLocalPresence));
});

describe('local connection slots', () => {
  connectionSlotsContract(sameInstance<ConnectionSlots>(createLocalConnectionSlots));
});
