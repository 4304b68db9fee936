// GET /readyz asks the storage and the bus, not only "started and not draining": a node whose
// PostgreSQL or Redis is gone is taken out of the load balancer, and put back when it returns.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterServicesAvailable, startCluster, type Cluster } from '../cluster/cluster-kit.js';
import { eventually } from '../support/eventually.js';
import { startServer } from '../support/test-server.js';

const readyz = async (url: string) => {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, body: (await response.json()) as unknown };
};

/** Waits until /readyz answers `status` with `body`; returns that answer. */
async function readyzBecomes(url: string, status: number, body: Record<string, boolean>) {
  let last: unknown;
  await eventually(async () => {
    last = await readyz(url);
    return JSON.stringify(last) === JSON.stringify({ status, body });
  }, 15_000).catch((err: unknown) => {
    throw new Error(`readyz never became ${status} ${JSON.stringify(body)}; last ${JSON.stringify(last)}`, { cause: err });
  });
}

describe('readiness of the embedded server', () => {
  it('is 200 with storage and bus checked once listening', async () => {
    const s = await startServer();
    try {
      expect(await readyz(s.url)).toEqual({ status: 200, body: { ready: true, storage: true, bus: true } });
    } finally {
      await s.stop();
    }
  });
});

const available = await clusterServicesAvailable('test/ops/readiness.test.ts');

describe.runIf(available)('readiness with PostgreSQL and Redis', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ nodes: 1, proxyPostgres: true, proxyRedis: true });
  }, 60_000);
  afterAll(() => cluster?.stop());

  it('turns 503 naming the storage while PostgreSQL is unreachable, and 200 again when it is back', async () => {
    const { url } = cluster.A;
    await readyzBecomes(url, 200, { ready: true, storage: true, bus: true });
    await cluster.postgresProxy?.down();
    await readyzBecomes(url, 503, { ready: false, storage: false, bus: true });
    await cluster.postgresProxy?.up();
    await readyzBecomes(url, 200, { ready: true, storage: true, bus: true });
  });

  it('turns 503 naming the bus while Redis is unreachable, and 200 again when it is back', async () => {
    const { url } = cluster.A;
    await cluster.redisProxy?.down();
    await readyzBecomes(url, 503, { ready: false, storage: true, bus: false });
    await cluster.redisProxy?.up();
    await readyzBecomes(url, 200, { ready: true, storage: true, bus: true });
  });
});
