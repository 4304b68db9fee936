import type { BusHandler, MessageBus } from './message-bus.js';

/** In-process bus for the embedded mode: every subscriber lives in this process. */
export function createLocalBus(): MessageBus {
  const channels = new Map<string, Set<BusHandler>>();
  return {
    async publish(channel, payload) {
      const handlers = channels.get(channel);
      if (handlers === undefined) return;
      for (const handler of [...handlers]) handler(payload);
    },
    async subscribe(channel, handler) {
      let handlers = channels.get(channel);
      if (handlers === undefined) {
        handlers = new Set();
        channels.set(channel, handlers);
      }
      // A wrapper per call, so the same function subscribed twice is two subscriptions.
      const entry: BusHandler = (payload) => handler(payload);
      handlers.add(entry);
      return async () => {
        handlers.delete(entry);
        if (handlers.size === 0 && channels.get(channel) === handlers) channels.delete(channel);
      };
    },
    // In-process delivery cannot be unreachable.
    async ping() {},
    async close() {
      channels.clear();
    },
  };
}
