import type { Redis } from 'ioredis';
import { guardRedis } from '../redis/redis-connection.js';
import { redisScript } from '../redis/redis-script.js';
import type { Roster, RosterEntry } from './roster.js';

/**
 * Shared by the scripts below. A group is a hash: field `<node>/<member>`, value `<seq> <data>`
 * (seq from the counter field `#` orders the members by arrival). A node is alive while its
 * liveness key `<nodes><node>` exists (renewed with a TTL, as in cluster/redis-node-liveness.ts).
 * `scan` drops the entries of dead nodes and returns the live entries and the dropped ones, both as
 * flat field/value lists. The liveness keys are derived, not declared: this needs one Redis
 * (standalone or Sentinel), not Redis Cluster.
 */
const COMMON = `
local function renew(nodes, self, ttl)
  redis.call('SET', nodes .. self, '1', 'PX', ttl)
end
local function scan(key, nodes, self)
  local all = redis.call('HGETALL', key)
  local live, gone, alive = {}, {}, {}
  for i = 1, #all, 2 do
    local field = all[i]
    if field ~= '#' then
      local node = string.match(field, '^[^/]*')
      local ok = alive[node]
      if ok == nil then
        ok = node == self or redis.call('EXISTS', nodes .. node) == 1
        alive[node] = ok
      end
      local list = live
      if not ok then
        redis.call('HDEL', key, field)
        list = gone
      end
      list[#list + 1] = field
      list[#list + 1] = all[i + 1]
    end
  end
  return live, gone
end
local function add(key, field, data)
  local seq = redis.call('HINCRBY', key, '#', 1)
  local value = seq .. ' ' .. data
  redis.call('HSET', key, field, value)
  return value
end
local function settle(key, ttl)
  if redis.call('HLEN', key) <= 1 then redis.call('DEL', key) else redis.call('PEXPIRE', key, ttl) end
end
`;

/**
 * KEYS: group. ARGV: nodes prefix, node, member, data, cap, node ttl, group ttl, unique prefix ('' for
 * none: else refused when a live member's data starts with it). Returns {admitted, present, departed, taken}.
 */
const JOIN = redisScript(`${COMMON}
local nodes, self, unique = ARGV[1], ARGV[2], ARGV[8]
renew(nodes, self, ARGV[6])
local live, gone = scan(KEYS[1], nodes, self)
local taken = 0
if unique ~= '' then
  for i = 2, #live, 2 do
    local value = live[i]
    local data = string.sub(value, string.find(value, ' ', 1, true) + 1)
    if string.sub(data, 1, #unique) == unique then taken = 1 end
  end
end
local admitted = 0
if taken == 0 and #live / 2 < tonumber(ARGV[5]) then
  add(KEYS[1], self .. '/' .. ARGV[3], ARGV[4])
  admitted = 1
end
settle(KEYS[1], ARGV[7])
return {admitted, live, gone, taken}
`);

/** KEYS: group. ARGV: field. */
const LEAVE = redisScript(`
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HLEN', KEYS[1]) <= 1 then redis.call('DEL', KEYS[1]) end
return 1
`);

/**
 * KEYS: group. ARGV: nodes prefix, node, node ttl, group ttl, then per own member `+member`
 * (admitted: listed again if missing) or `?member` (joining: kept if listed) and its data. Entries
 * of this node not named are stale (a join whose answer was lost) and dropped. Returns {departed, restored}.
 */
const SWEEP = redisScript(`${COMMON}
local nodes, self = ARGV[1], ARGV[2]
renew(nodes, self, ARGV[3])
local live, gone = scan(KEYS[1], nodes, self)
local mine = {}
for i = 5, #ARGV, 2 do mine[self .. '/' .. string.sub(ARGV[i], 2)] = string.sub(ARGV[i], 1, 1) end
local prefix = self .. '/'
for i = 1, #live, 2 do
  local field = live[i]
  if string.sub(field, 1, #prefix) == prefix then
    if mine[field] == nil then
      redis.call('HDEL', KEYS[1], field)
      gone[#gone + 1] = field
      gone[#gone + 1] = live[i + 1]
    else
      mine[field] = 'listed'
    end
  end
end
local restored = {}
for i = 5, #ARGV, 2 do
  local field = self .. '/' .. string.sub(ARGV[i], 2)
  if mine[field] == '+' then
    restored[#restored + 1] = field
    restored[#restored + 1] = add(KEYS[1], field, ARGV[i + 1])
  end
end
settle(KEYS[1], ARGV[4])
return {gone, restored}
`);

export interface RedisRosterOptions {
  nodeId: string;
  /** Prefix of the roster's keys, e.g. `whispr:roster:`: `<prefix>group:<group>` and `<prefix>node:<nodeId>`. */
  keyPrefix: string;
  /** A node that has not renewed itself for this long is dead. Default 15 s; nodes renew every third of it. */
  nodeTtlMs?: number;
}

const DEFAULT_NODE_TTL_MS = 15_000;

/** Entries as the scripts return them (flat field/value lists), oldest first. */
function entries(flat: unknown): RosterEntry[] {
  const list = flat as string[];
  const parsed: Array<RosterEntry & { seq: number }> = [];
  for (let i = 0; i < list.length; i += 2) {
    const field = list[i]!;
    const value = list[i + 1]!;
    const slash = field.indexOf('/');
    const space = value.indexOf(' ');
    parsed.push({ node: field.slice(0, slash), member: field.slice(slash + 1), seq: Number(value.slice(0, space)), data: value.slice(space + 1) });
  }
  return parsed.sort((a, b) => a.seq - b.seq).map(({ node, member, data }) => ({ node, member, data }));
}

/**
 * The roster in Redis, shared by every node: a hash per group and a liveness key per node, each
 * change one Lua script so the cap holds however many nodes join at once. Nodes renew their liveness
 * with every join and sweep; a group's hash expires when no live node has renewed it for 2 node TTLs.
 * The connection belongs to the caller and must be this roster's alone: joins, leaves and sweeps
 * rely on Redis running them in the order they were sent.
 */
export function createRedisRoster(redis: Redis, options: RedisRosterOptions): Roster {
  const { nodeId } = options;
  const nodeTtl = options.nodeTtlMs ?? DEFAULT_NODE_TTL_MS;
  const groupTtl = 2 * nodeTtl;
  const nodes = `${options.keyPrefix}node:`;
  const key = (group: string) => `${options.keyPrefix}group:${group}`;
  return {
    nodeId,
    sweepIntervalMs: Math.ceil(nodeTtl / 3),
    async join(group, member, data, cap, unique = '') {
      const [admitted, present, departed, taken] = (await JOIN(redis, [key(group)], [nodes, nodeId, member, data, cap, nodeTtl, groupTtl, unique])) as [
        number,
        unknown,
        unknown,
        number,
      ];
      return { admitted: admitted === 1, taken: taken === 1, present: entries(present), departed: entries(departed) };
    },
    async leave(group, member) {
      await LEAVE(redis, [key(group)], [`${nodeId}/${member}`]);
    },
    async sweep(group, own) {
      const args = own.flatMap((m) => [`${m.settled ? '+' : '?'}${m.member}`, m.data]);
      const [departed, restored] = (await SWEEP(redis, [key(group)], [nodes, nodeId, nodeTtl, groupTtl, ...args])) as [unknown, unknown];
      return { departed: entries(departed), restored: entries(restored) };
    },
    /** Withdraws this node's liveness at once: the others sweep its remaining members within one interval. */
    async close() {
      await guardRedis(() => redis.del(nodes + nodeId));
    },
  };
}
