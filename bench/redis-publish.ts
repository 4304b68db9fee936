// What Redis spends on one pub/sub delivery: a group message reaches each member's node as one
// PUBLISH on the member's channel. Measured straight on Redis: `count` publishes of `bytes`-byte
// messages (pipelined) to a channel one subscriber listens on, and Redis' own CPU and byte counters
// over them (deltas of the whole Redis: other users of it count too).
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { redisCounters } from './cluster-meter.js';
import { waitUntil } from './rooms-wire.js';
import { round } from './stats.js';

export interface PublishCost {
  publishes: number;
  message_bytes: number;
  /** Redis CPU (used_cpu_user + used_cpu_sys), bytes in + out and commands per delivered publish. */
  redis_cpu_us: number;
  redis_bytes: number;
  redis_commands: number;
}

export async function measurePublishCost(url: string, prefix: string, count: number, bytes: number): Promise<PublishCost> {
  const subscriber = new Redis(url, { maxRetriesPerRequest: 1 });
  const publisher = new Redis(url, { maxRetriesPerRequest: 1 });
  for (const client of [subscriber, publisher]) client.on('error', () => undefined);
  const channel = `${prefix}bench-publish`;
  let received = 0;
  try {
    subscriber.on('message', () => received++);
    await subscriber.subscribe(channel);
    const message = randomBytes(Math.ceil((bytes * 3) / 4))
      .toString('base64')
      .slice(0, bytes);
    const before = await redisCounters(publisher);
    for (let sent = 0; sent < count; sent += 1000) {
      const batch = publisher.pipeline();
      for (let i = sent; i < Math.min(count, sent + 1000); i++) batch.publish(channel, message);
      await batch.exec();
    }
    await waitUntil(() => received >= count, 10_000);
    const after = await redisCounters(publisher);
    return {
      publishes: received,
      message_bytes: bytes,
      redis_cpu_us: round(((after.cpu_s - before.cpu_s) * 1e6) / Math.max(received, 1), 2),
      redis_bytes: Math.round((after.net_in_bytes - before.net_in_bytes + after.net_out_bytes - before.net_out_bytes) / Math.max(received, 1)),
      redis_commands: round((after.commands - before.commands) / Math.max(received, 1), 2),
    };
  } finally {
    subscriber.disconnect();
    publisher.disconnect();
  }
}
