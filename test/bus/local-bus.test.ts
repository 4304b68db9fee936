import { afterAll, describe } from 'vitest';
import { createLocalBus } from '../../src/bus/local-bus.js';
import { messageBusContract } from './message-bus.contract.js';

describe('local bus', () => {
  const bus = createLocalBus();
  afterAll(() => bus.close());
  messageBusContract(() => ({ node: async () => bus }));
});
