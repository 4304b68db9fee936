import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DEPLOYMENT,
  deliveriesPerMessage,
  peakRates,
  project,
  sendsPerSecondOnOneMachine,
  type MeasuredCosts,
  type Workload,
} from '../../bench/capacity-model.js';

// Round figures, so every expectation can be worked out by hand.
const costs: MeasuredCosts = {
  send: { node_cpu_us: 300, pg_cpu_us: 150, pg_trips: 0.1, redis_commands: 4, redis_bytes: 1000, redis_cpu_us: 40 },
  push: { node_cpu_us: 200, pg_cpu_us: 100, pg_trips: 2, redis_commands: 2, redis_bytes: 800, redis_cpu_us: 20 },
  idle_socket: { node_kb: 10, redis_kb: 0.5, node_cpu_us_per_s: 1, pg_trips_per_s: 0.001, redis_commands_per_s: 0 },
  publish: { redis_commands: 1, redis_bytes: 1500, redis_cpu_us: 5 },
  node_idle: { cpu_us_per_s: 0, pg_trips_per_s: 0, redis_commands_per_s: 0 },
};

const direct = (users: number, messagesPerDay: number): Workload => ({
  name: `${users}`,
  users,
  messages_per_user_per_day: messagesPerDay,
  peak_factor: 1,
  group_mix: [{ members: 2, share: 1 }],
  online_fraction: 0,
});

describe('capacity model', () => {
  it('turns users and messages per day into peak sends and pushes per second', () => {
    // 86,400 users x 10 messages a day = 10 sends/s on average; at a 3x peak 30/s.
    expect(peakRates({ ...direct(86_400, 10), peak_factor: 3 })).toEqual({ sends_per_s: 30, pushes_per_s: 30, group_copies_per_s: 0 });
    // Half the messages to groups of 11: each is copied to 10 others.
    expect(
      deliveriesPerMessage([
        { members: 2, share: 0.5 },
        { members: 11, share: 0.5 },
      ]),
    ).toEqual({ direct: 0.5, group_copies: 5 });
  });

  it('costs a group copy as a push on the node, nothing in PostgreSQL and one publish in Redis', () => {
    // 1,000 messages/s, all to groups of 5: 1,000 sends and 4,000 copies.
    const p = project(costs, { ...direct(8_640_000, 10), group_mix: [{ members: 5, share: 1 }] });
    expect(p).toMatchObject({ pushes_per_s: 0 });
    expect(p.group_copies_per_s).toBeCloseTo(4000);
    expect(p.pg_cores).toBeCloseTo((1000 * 150) / 1e6);
    expect(p.pg_trips_per_s).toBeCloseTo(1000 * 0.1);
    expect(p.pg_row_writes_per_s).toBeCloseTo(1000);
    expect(p.node_cores).toBeCloseTo((1000 * 300 + 4000 * 200) / 1e6);
    expect(p.redis_commands_per_s).toBeCloseTo(1000 * 4 + 4000 * 1);
    expect(p.redis_mb_per_s).toBeCloseTo((1000 * 1000 + 4000 * 1500) / 1e6);
    expect(p.redis_cores).toBeCloseTo((1000 * 40 + 4000 * 5) / 1e6);
  });

  it('costs every resource per send and per push, and idle sockets per second', () => {
    // 1,000 sends/s and 1,000 pushes/s; 10,000 idle sockets.
    const p = project(costs, { ...direct(8_640_000, 10), online_fraction: 10_000 / 8_640_000 });
    expect(p.sends_per_s).toBeCloseTo(1000);
    expect(p.node_cores).toBeCloseTo((1000 * 300 + 1000 * 200 + 10_000 * 1) / 1e6);
    expect(p.pg_cores).toBeCloseTo((1000 * 150 + 1000 * 100) / 1e6);
    expect(p.pg_trips_per_s).toBeCloseTo(1000 * 0.1 + 1000 * 2 + 10_000 * 0.001);
    expect(p.pg_row_writes_per_s).toBeCloseTo(2000);
    expect(p.redis_commands_per_s).toBeCloseTo(6000);
    expect(p.redis_mb_per_s).toBeCloseTo(1.8);
    expect(p.redis_cores).toBeCloseTo(0.06);
    expect(p.redis_memory_mb).toBeCloseTo((10_000 * 0.5) / 1024);
  });

  it('counts nodes by CPU at the target utilisation, or by sockets when they need more', () => {
    const d = { ...DEFAULT_DEPLOYMENT, cores_per_node: 4, target_utilisation: 0.5, max_sockets_per_node: 10_000 };
    // 0.51 cores of load on nodes of 2 usable cores: one node.
    const light = project(costs, { ...direct(8_640_000, 10), online_fraction: 10_000 / 8_640_000 }, d);
    expect(light).toMatchObject({ nodes: 1, nodes_for: 'cpu' });
    // 25,000 sockets: three nodes of 10,000, though one node's CPU would do.
    const sockets = project(costs, { ...direct(8_640_000, 10), online_fraction: 25_000 / 8_640_000 }, d);
    expect(sockets).toMatchObject({ nodes: 3, nodes_for: 'sockets' });
    // 10x the messages: 5.01 cores of load over 2 usable cores per node.
    const busy = project(costs, { ...direct(8_640_000, 100), online_fraction: 10_000 / 8_640_000 }, d);
    expect(busy).toMatchObject({ nodes: 3, nodes_for: 'cpu' });
    // A node's idle cost comes off what it has for load: 1.5 usable cores each, 4 nodes.
    const withBase = project(
      { ...costs, node_idle: { cpu_us_per_s: 500_000, pg_trips_per_s: 0, redis_commands_per_s: 0 } },
      { ...direct(8_640_000, 100), online_fraction: 10_000 / 8_640_000 },
      d,
    );
    expect(withBase.nodes).toBe(4);
  });

  it('names the shared resource that runs out first and the users at which it reaches the target', () => {
    const d = { ...DEFAULT_DEPLOYMENT, pg_max_cores: 1, target_utilisation: 0.5 };
    // 1,000 sends + 1,000 pushes/s: PostgreSQL 0.25 of its one core, Redis 0.06 of its one.
    const p = project(costs, direct(8_640_000, 10), d);
    expect(p.bottleneck).toBe('postgres');
    expect(p.bottleneck_utilisation).toBeCloseTo(0.25);
    expect(p.utilisation.redis).toBeCloseTo(0.06);
    // At twice the users PostgreSQL reaches 50%.
    expect(p.users_at_ceiling).toBe(17_280_000);
    // With a large primary, Redis (one thread) is first.
    expect(project(costs, direct(8_640_000, 10), { ...d, pg_max_cores: 64 }).bottleneck).toBe('redis');
  });

  it('predicts sends/s of one shared machine from the CPU each process spends per send', () => {
    // 300 + 150 + 40 + 10 = 500 us per send on 2 cores: 4,000 sends/s.
    expect(sendsPerSecondOnOneMachine({ ...costs.send, loadgen_cpu_us: 10 }, 2)).toBe(4000);
  });

  it('refuses a group mix that is empty or has a conversation of fewer than two members', () => {
    expect(() => deliveriesPerMessage([])).toThrow(/at least one entry/);
    expect(() => deliveriesPerMessage([{ members: 1, share: 1 }])).toThrow(/members must be >= 2/);
  });
});
