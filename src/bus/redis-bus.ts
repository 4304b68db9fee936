import type { Redis } from 'ioredis';
import { closeRedis, connectRedis, guardRedis } from '../redis/redis-connection.js';
import type { BusHandler, MessageBus } from './message-bus.js';

export interface RedisBusOptions {
  /** Prefix of every Redis channel (and connection name), so deployments can share a Redis. Default `whispr:`. */
  channelPrefix?: string;
  /** Connection errors, unparsable payloads and throwing handlers; the bus itself keeps going. */
  onError: (error: unknown) => void;
}

interface Channel {
  handlers: Set<BusHandler>;
  /** Settles when Redis confirmed the SUBSCRIBE. */
  subscribed: Promise<unknown>;
}

/**
 * The bus across nodes: one connection publishes, one subscribes. In-process handlers of a channel
 * share one Redis subscription, dropped when the last handler goes. After a reconnect the bus
 * subscribes again to exactly the channels that still have handlers.
 */
export async function createRedisBus(url: string, options: RedisBusOptions): Promise<MessageBus> {
  const prefix = options.channelPrefix ?? 'whispr:';
  const [publisher, subscriber] = await connectBoth(url, prefix, options.onError);
  const channels = new Map<string, Channel>();

  subscriber.on('ready', () => {
    if (channels.size > 0) subscriber.subscribe(...channels.keys()).catch(options.onError);
  });
  subscriber.on('message', (name: string, text: string) => {
    const channel = channels.get(name);
    if (channel === undefined) return;
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch (error) {
      options.onError(error);
      return;
    }
    // A throw must not reach ioredis's reply parser, nor keep the other handlers from the message.
    for (const handler of [...channel.handlers]) {
      try {
        handler(payload);
      } catch (error) {
        options.onError(error);
      }
    }
  });

  const forget = (name: string, channel: Channel, handler: BusHandler): boolean => {
    channel.handlers.delete(handler);
    if (channel.handlers.size > 0 || channels.get(name) !== channel) return false;
    channels.delete(name);
    return true;
  };

  return {
    async publish(channel, payload) {
      await guardRedis(() => publisher.publish(prefix + channel, JSON.stringify(payload)));
    },
    async subscribe(channelName, handler) {
      const name = prefix + channelName;
      let channel = channels.get(name);
      if (channel === undefined) {
        channel = { handlers: new Set(), subscribed: guardRedis(() => subscriber.subscribe(name)) };
        channels.set(name, channel);
      }
      const entry = channel;
      // A wrapper per call, so the same function subscribed twice is two subscriptions.
      const own: BusHandler = (payload) => handler(payload);
      entry.handlers.add(own);
      try {
        await entry.subscribed;
      } catch (error) {
        forget(name, entry, own); // nothing to UNSUBSCRIBE: the SUBSCRIBE never took
        throw error;
      }
      let active = true;
      return async () => {
        if (!active) return;
        active = false;
        // Sent without awaiting anything first, so a SUBSCRIBE that follows reaches Redis after it.
        // A failed UNSUBSCRIBE means the connection is gone, and with it the subscription.
        if (forget(name, entry, own)) await subscriber.unsubscribe(name).catch(() => undefined);
      };
    },
    // Both connections: a publisher that answers is no use while the subscriber is reconnecting.
    async ping() {
      await guardRedis(() => publisher.ping());
      if (subscriber.status !== 'ready') throw new Error(`the Redis subscriber connection is ${subscriber.status}`);
    },
    async close() {
      channels.clear();
      await Promise.all([closeRedis(publisher), closeRedis(subscriber)]);
    },
  };
}

/** Both connections or neither: one that opened is closed again when the other fails. */
async function connectBoth(url: string, prefix: string, onError: (error: unknown) => void): Promise<[Redis, Redis]> {
  const [publisher, subscriber] = await Promise.allSettled([
    connectRedis(url, `${prefix}publisher`, onError),
    connectRedis(url, `${prefix}subscriber`, onError),
  ]);
  if (publisher.status === 'fulfilled' && subscriber.status === 'fulfilled') return [publisher.value, subscriber.value];
  await Promise.all([publisher, subscriber].map((r) => (r.status === 'fulfilled' ? closeRedis(r.value) : undefined)));
  throw [publisher, subscriber].flatMap((r) => (r.status === 'rejected' ? [r.reason] : []))[0];
}
