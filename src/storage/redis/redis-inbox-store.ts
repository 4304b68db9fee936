import type { Redis } from 'ioredis';
import type { FullQueue, QueueCaps } from '../../features/queues/index.js';
import { type EnqueueResult, type InboxStore, type NewMessage, type QueuedMessage, queuedMessage } from '../../features/relay/index.js';
import { guardRedis } from '../../redis/redis-connection.js';
import { redisScript } from '../../redis/redis-script.js';

export interface RedisInboxStoreOptions {
  /** Prefix of every key, e.g. `whispr:inbox:`. */
  keyPrefix: string;
}

/**
 * Lua shared by the scripts. ARGV[1] is the key prefix P; the keys:
 * - `P next`: the last message id (INCR);
 * - `P queued`: messages stored, for totalQueued;
 * - `P q:<recipient>`: the recipient's queue, a sorted set of ids (score = id, so oldest first);
 * - `P m:<id>`: a message, a hash (r = recipient, from, enc_pub, message, signature, ts, exp, lease,
 *   sa = the sender's address key);
 * - `P s:<recipient>:<from>`, `P a:<recipient>:<address key>`: the ids a sender, and a sending address,
 *   have queued for the recipient (their fair shares), sorted sets scored by expiry ('inf': never), so
 *   an expired id stops counting even when its key ran out before a purge;
 * - `P r:<replayKey>`: a replay receipt, a hash (id, ts, exp);
 * - `P expiring`, `P receipts`: what purgeExpired looks up, sorted by expiry (members `<id>:<recipient>`, replay keys).
 * Times are the caller's unix seconds, as with the SQL drivers; lease = 0 is no lease, exp = '' never.
 */
const COMMON = `
local P = ARGV[1]
local function load(id)
  return redis.call('HMGET', P .. 'm:' .. id, 'r', 'from', 'enc_pub', 'message', 'signature', 'ts', 'exp', 'lease', 'sa')
end
local function available(m, now)
  return m[1] and tonumber(m[8]) <= now and (m[7] == '' or tonumber(m[7]) > now)
end
local function wire(id, m)
  return { tostring(id), m[1], m[2], m[3], m[4], m[5], m[6] }
end
local function forget(id, m)
  redis.call('DEL', P .. 'm:' .. id)
  redis.call('ZREM', P .. 'q:' .. m[1], id)
  redis.call('ZREM', P .. 's:' .. m[1] .. ':' .. m[2], id)
  if m[9] then redis.call('ZREM', P .. 'a:' .. m[1] .. ':' .. m[9], id) end
  if m[7] ~= '' then redis.call('ZREM', P .. 'expiring', id .. ':' .. m[1]) end
  redis.call('DECR', P .. 'queued')
end
`;
const script = (body: string) => redisScript(COMMON + body);

/**
 * ARGV: P, recipient, from, enc_pub, message, signature, timestamp, expiresAt|'', replayKey,
 * replayExpiresAt, maxQueued, now, fromAddress, perSender, perAddress. The queue, the shares and the
 * message expire with the message (the queue and shares with their longest-lived one; a message
 * without expiry makes them persistent), the receipt with itself.
 */
const ENQUEUE = script(`
local recipient, exp, replayKey = ARGV[2], ARGV[8], ARGV[9]
local replayExp, maxQueued, now = tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12])
local receiptKey = P .. 'r:' .. replayKey
local receipt = redis.call('HMGET', receiptKey, 'id', 'ts', 'exp')
if receipt[1] and tonumber(receipt[3]) > now then return { 'duplicate', receipt[1], receipt[2] } end
local queue = P .. 'q:' .. recipient
local queued = redis.call('ZCARD', queue)
if queued >= maxQueued then return { 'full', 'recipient' } end
local shares = { { P .. 's:' .. recipient .. ':' .. ARGV[3], tonumber(ARGV[14]), 'sender' }, { P .. 'a:' .. recipient .. ':' .. ARGV[13], tonumber(ARGV[15]), 'address' } }
for _, share in ipairs(shares) do
  redis.call('ZREMRANGEBYSCORE', share[1], '-inf', now)
  if redis.call('ZCARD', share[1]) >= share[2] then return { 'full', share[3] } end
end
local id = redis.call('INCR', P .. 'next')
local key = P .. 'm:' .. id
redis.call('HSET', key, 'r', recipient, 'from', ARGV[3], 'enc_pub', ARGV[4], 'message', ARGV[5], 'signature', ARGV[6], 'ts', ARGV[7], 'exp', exp, 'lease', 0, 'sa', ARGV[13])
redis.call('ZADD', queue, id, id)
for _, share in ipairs(shares) do redis.call('ZADD', share[1], exp == '' and 'inf' or exp, id) end
if exp == '' then
  redis.call('PERSIST', queue)
  for _, share in ipairs(shares) do redis.call('PERSIST', share[1]) end
else
  local ttl = math.max(1, math.ceil(tonumber(exp) - now))
  redis.call('EXPIRE', key, ttl)
  if queued == 0 then redis.call('EXPIRE', queue, ttl) else redis.call('EXPIRE', queue, ttl, 'GT') end
  for _, share in ipairs(shares) do
    if redis.call('ZCARD', share[1]) == 1 then redis.call('EXPIRE', share[1], ttl) else redis.call('EXPIRE', share[1], ttl, 'GT') end
  end
  redis.call('ZADD', P .. 'expiring', exp, id .. ':' .. recipient)
end
local receiptTtl = math.ceil(replayExp - now)
if receiptTtl > 0 then
  redis.call('HSET', receiptKey, 'id', id, 'ts', ARGV[7], 'exp', ARGV[10])
  redis.call('EXPIRE', receiptKey, receiptTtl)
  redis.call('ZADD', P .. 'receipts', ARGV[10], replayKey)
end
redis.call('INCR', P .. 'queued')
return { 'queued', id }
`);

/** ARGV: P, recipient, since, limit, now. */
const DRAIN = script(`
local since, limit, now = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local out = {}
for _, id in ipairs(redis.call('ZRANGE', P .. 'q:' .. ARGV[2], 0, -1)) do
  if #out >= limit then break end
  local m = load(id)
  if available(m, now) and tonumber(m[6]) > since then
    out[#out + 1] = wire(id, m)
    forget(id, m)
  end
end
return out
`);

/** ARGV: P, recipient, leaseUntil, now, then the ids, or none for all of the recipient's. */
const LEASE = script(`
local recipient, leaseUntil, now = ARGV[2], ARGV[3], tonumber(ARGV[4])
local ids = {}
if #ARGV == 4 then ids = redis.call('ZRANGE', P .. 'q:' .. recipient, 0, -1) else for i = 5, #ARGV do ids[#ids + 1] = ARGV[i] end end
local out = {}
for _, id in ipairs(ids) do
  local m = load(id)
  if m[1] == recipient and available(m, now) then
    redis.call('HSET', P .. 'm:' .. id, 'lease', leaseUntil)
    out[#out + 1] = wire(id, m)
  end
end
return out
`);

/** ARGV: P, now, then the recipients; answers those with a message ready to lease. */
const WAITING = script(`
local now = tonumber(ARGV[2])
local out = {}
for i = 3, #ARGV do
  for _, id in ipairs(redis.call('ZRANGE', P .. 'q:' .. ARGV[i], 0, -1)) do
    if available(load(id), now) then
      out[#out + 1] = ARGV[i]
      break
    end
  end
end
return out
`);

/** ARGV: P, then the ids. */
const REMOVE = script(`
for i = 2, #ARGV do
  local m = load(ARGV[i])
  if m[1] then forget(ARGV[i], m) end
end
`);

/** ARGV: P, then the ids. */
const RELEASE = script(`
for i = 2, #ARGV do
  if redis.call('EXISTS', P .. 'm:' .. ARGV[i]) == 1 then redis.call('HSET', P .. 'm:' .. ARGV[i], 'lease', 0) end
end
`);

/**
 * ARGV: P, now, batch. Removes up to `batch` expired messages (also those whose keys already ran
 * out) and receipts; returns how many of each.
 */
const PURGE = script(`
local now, batch = ARGV[2], tonumber(ARGV[3])
local messages = redis.call('ZRANGEBYSCORE', P .. 'expiring', '-inf', now, 'LIMIT', 0, batch)
for _, member in ipairs(messages) do
  local id, recipient = string.match(member, '^(%d+):(.*)$')
  redis.call('DEL', P .. 'm:' .. id)
  redis.call('ZREM', P .. 'q:' .. recipient, id)
  redis.call('ZREM', P .. 'expiring', member)
end
if #messages > 0 then redis.call('DECRBY', P .. 'queued', #messages) end
local receipts = redis.call('ZRANGEBYSCORE', P .. 'receipts', '-inf', now, 'LIMIT', 0, batch)
for _, replayKey in ipairs(receipts) do
  redis.call('DEL', P .. 'r:' .. replayKey)
  redis.call('ZREM', P .. 'receipts', replayKey)
end
return { #messages, #receipts }
`);
const PURGE_BATCH = 1_000;

type WireRow = [string, string, string, string, string, string, string];

/** Script rows, oldest first (a lease of given ids returns them in the caller's order). */
const toMessages = (rows: unknown): QueuedMessage[] =>
  (rows as WireRow[])
    .map(([id, recipient, from, enc_pub, message, signature, timestamp]) => ({
      id: Number(id),
      recipient,
      from,
      enc_pub,
      message,
      signature,
      timestamp: Number(timestamp),
    }))
    .sort((a, b) => a.id - b.id);

/**
 * The original Whispr's ephemeral Redis inbox, behind the InboxStore port: per-recipient queues that
 * expire with their messages, lost if Redis loses its data. Unlike the original a full queue refuses
 * ('full') instead of trimming. Every operation is one Lua script, so the cap, the replay check and
 * "handed out once" hold across nodes.
 *
 * - Expiry: each message key and queue carries a TTL (the message's remaining lifetime, from the
 *   caller's clock), so Redis drops them even if nobody purges; reads filter on the caller's `now`,
 *   and purgeExpired removes what expired (and what the TTLs already dropped), like the SQL drivers.
 * - totalQueued is a counter kept by the scripts: exact, with messages dropped by a TTL counted until
 *   the next purgeExpired, as expired rows count in SQL until the cleanup sweep.
 * - releaseAll does nothing, as on PostgreSQL: a lease may belong to a push on another node. A dead
 *   node's leases expire.
 * - The scripts name keys they derive from the prefix (message ids come from INCR inside them), so
 *   this needs one Redis (standalone or Sentinel), not Redis Cluster.
 *
 * The connection belongs to the caller.
 */
export function createRedisInboxStore(redis: Redis, options: RedisInboxStoreOptions): InboxStore {
  const P = options.keyPrefix;
  const ids = (list: readonly number[]) => list.map(String);

  const enqueue = async (m: NewMessage, caps: QueueCaps, now: number): Promise<EnqueueResult> => {
    const { recipient, from, enc_pub, message, signature, timestamp, expiresAt, replayKey, replayExpiresAt, fromAddress } = m;
    const args = [P, recipient, from, enc_pub, message, signature, timestamp, expiresAt ?? '', replayKey, replayExpiresAt, caps.total, now];
    const [status, id, stamp] = (await ENQUEUE(redis, [], [...args, fromAddress, caps.perSender, caps.perAddress])) as [string, number | string, string];
    if (status === 'full') return { status: 'full', cap: id as FullQueue };
    if (status === 'duplicate') return { status: 'duplicate', id: Number(id), timestamp: Number(stamp) };
    return { status: 'queued', message: queuedMessage(Number(id), m) };
  };

  return {
    enqueue,
    drain: async (recipient, since, limit, now) => toMessages(await DRAIN(redis, [], [P, recipient, since, limit, now])),
    lease: async (recipient, list, leaseUntil, now) => {
      if (list !== 'all' && list.length === 0) return [];
      return toMessages(await LEASE(redis, [], [P, recipient, leaseUntil, now, ...(list === 'all' ? [] : ids(list))]));
    },
    async remove(list) {
      if (list.length > 0) await REMOVE(redis, [], [P, ...ids(list)]);
    },
    async release(list) {
      if (list.length > 0) await RELEASE(redis, [], [P, ...ids(list)]);
    },
    async releaseAll() {},
    waiting: async (recipients, now) => (recipients.length === 0 ? [] : ((await WAITING(redis, [], [P, now, ...recipients])) as string[])),
    async purgeExpired(now) {
      let purged = 0;
      for (;;) {
        const [messages, receipts] = (await PURGE(redis, [], [P, now, PURGE_BATCH])) as [number, number];
        purged += messages;
        if (messages < PURGE_BATCH && receipts < PURGE_BATCH) return purged;
      }
    },
    totalQueued: async () => Number(await guardRedis(() => redis.get(`${P}queued`))),
  };
}
