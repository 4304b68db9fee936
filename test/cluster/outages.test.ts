/**
 * Redis and PostgreSQL going away for a while under a running cluster. The shared services are not
 * touched: the nodes reach both through TCP proxies that this file cuts and restores.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { WhisprError, type WhisprClient } from 'whispr-sdk';
import { eventually } from '../support/eventually.js';
import { REDIS_URL } from '../support/services.js';
import { UpgradeRefused, openWs } from '../relay/helpers.js';
import { clusterServicesAvailable, httpCall, pushSocket, sleep, useCluster, wsOf, type ClusterNode, type Listener } from './cluster-kit.js';

const available = await clusterServicesAvailable('test/cluster/outages.test.ts');
const OUTAGE_MS = 2_000;

/** 'refused <status>', 'closed <code>' (within a second of opening) or 'open' (still open after a second). */
async function upgradeOutcome(url: string): Promise<string> {
  try {
    const ws = await openWs(url);
    const code = await Promise.race([new Promise<number>((resolve) => ws.once('close', (c) => resolve(c))), sleep(1_000).then(() => undefined)]);
    ws.terminate();
    return code === undefined ? 'open' : `closed ${code}`;
  } catch (err) {
    return err instanceof UpgradeRefused ? `refused ${err.statusCode}` : `failed ${String(err)}`;
  }
}

describe.runIf(available)('cluster: Redis and PostgreSQL outages', () => {
  const ctx = useCluster({ proxyRedis: true, proxyPostgres: true });
  const listeners: Listener[] = [];
  afterEach(async () => {
    for (const l of listeners.splice(0)) l.close();
    // A failed test must not leave a service cut for the next one.
    await ctx.cluster.redisProxy?.up();
    await ctx.cluster.postgresProxy?.up();
  });

  let admin: Redis;
  beforeAll(() => {
    admin = new Redis(REDIS_URL);
  });
  afterAll(() => admin?.disconnect());
  /** Nodes subscribed (through Redis) to the push channel of `address`. */
  const subscribers = async (address: string) => Number((await admin.pubsub('NUMSUB', `${ctx.cluster.prefix}user:${address}`))[1]);

  const post = (node: ClusterNode, body: unknown) =>
    httpCall(`${node.url}/send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const liveness = async () => Promise.all(ctx.cluster.nodes.map(async (n) => [n.name, (await httpCall(`${n.url}/healthz`)).status, n.alive()]));
  const expectAllLive = async () => expect(await liveness()).toEqual(ctx.cluster.nodes.map((n) => [n.name, 200, true]));

  /** Sends until one is accepted (bounded): the node has reconnected. */
  const sendOnceUp = async (sender: WhisprClient, node: ClusterNode, to: string, text: string) => {
    let answer: { status: number; body: unknown } = { status: 0, body: undefined };
    await eventually(async () => {
      answer = await post(node, sender.buildSend(to, text));
      return answer.status === 200;
    }, 8_000).catch(() => {
      throw new Error(`no send accepted on ${node.name} after the restore; last answer ${answer.status} ${JSON.stringify(answer.body)}\n${ctx.cluster.dump()}`);
    });
    return answer.body as { id: number };
  };

  /** A call retried while its node still answers 503 (not yet reconnected after the restore), bounded. */
  const callOnceUp = async <T>(call: () => Promise<T>): Promise<T> => {
    const deadline = Date.now() + 8_000;
    for (;;) {
      try {
        return await call();
      } catch (err) {
        if (!(err instanceof WhisprError && err.status === 503) || Date.now() > deadline) throw err;
        await sleep(50);
      }
    }
  };

  test('Redis cut for 2 s: 503 REDIS_UNAVAILABLE (no 500, no crash); after the restore subscriptions are back and nothing durable is lost', async () => {
    const { A, B, C } = ctx.cluster;
    const proxy = ctx.cluster.redisProxy!;
    const sender = ctx.cluster.client(A);
    const online = ctx.cluster.client(B);
    const offline = ctx.cluster.client(C);
    const socket = await pushSocket(online, () => B);
    listeners.push(socket);
    const before = (await sender.send(online.address, 'before')).id;
    await socket.next((f) => f.id === before);
    const durable = (await sender.send(offline.address, 'queued before the cut')).id;

    await proxy.down();
    const cutAt = Date.now();
    const during: Array<{ node: string; status: number; code: unknown; retryAfter: unknown }> = [];
    while (Date.now() - cutAt < OUTAGE_MS) {
      for (const node of ctx.cluster.nodes) {
        const answer = await post(node, sender.buildSend(online.address, 'during'));
        during.push({ node: node.name, status: answer.status, code: answer.body?.error_code, retryAfter: answer.retryAfter });
      }
      await sleep(100);
    }
    // A push socket cannot be set up without the bus either: refused with a clear 503, or closed at once.
    const upgrade = await upgradeOutcome(wsOf(B, `/ws/${online.address}?token=${encodeURIComponent((await online.token())!)}`));
    await expectAllLive();
    await proxy.up();
    const restoredAt = Date.now();

    // Every send during the cut was refused as "Redis unavailable" (the rate limiter needs Redis), never a 500.
    const statuses = [...new Set(during.map((d) => `${d.status} ${String(d.code)} retry-after ${String(d.retryAfter)}`))];
    expect(statuses, JSON.stringify(during)).toEqual(['503 REDIS_UNAVAILABLE retry-after 1']);
    expect(['refused 503', 'closed 1011', 'closed 1013'], upgrade).toContain(upgrade);

    // After the restore B subscribes again to the channel of its socket (the socket itself stayed open).
    await eventually(async () => (await subscribers(online.address)) === 1, 8_000);
    const resubscribedMs = Date.now() - restoredAt;
    const after = await sendOnceUp(sender, A, online.address, 'after');
    const acceptedMs = Date.now() - restoredAt;
    await socket.next((f) => f.id === after.id, 8_000);
    console.log(
      `Redis outage: ${during.length} sends refused with 503 over ${OUTAGE_MS} ms; after the restore B resubscribed in ${resubscribedMs} ms, a send was accepted after ${acceptedMs} ms; push socket opened ${socket.opens()} time(s), closes ${JSON.stringify(socket.closes())}; a push upgrade during the cut: ${upgrade}`,
    );
    // Nothing accepted before the cut is lost, and nothing refused during it was queued.
    const inbox = await callOnceUp(() => ctx.cluster.client(C, offline.identity).fetchInbox());
    expect(inbox.map((m) => m.id)).toEqual([durable]);
    const pushed = socket.frames.filter((f) => typeof f.id === 'number').map((f) => f.id as number);
    expect(pushed).toEqual([before, after.id]);
    await expectAllLive();
  });

  test('Redis lost by node B alone: a message accepted on A meanwhile reaches the recipient socket on B once B is back', async () => {
    const { A, B, C } = ctx.cluster;
    const sender = ctx.cluster.client(A);
    const online = ctx.cluster.client(B);
    const socket = await pushSocket(online, () => B);
    listeners.push(socket);
    await eventually(async () => (await subscribers(online.address)) === 1, 3_000);

    await ctx.cluster.redisProxyOf(B).down();
    // A and C still have Redis: the send is accepted and stored. B missed the notice: it was not subscribed.
    const accepted = await post(A, sender.buildSend(online.address, 'while B was cut off'));
    expect(accepted.status).toBe(200);
    const onB = await post(B, sender.buildSend(online.address, 'through B'));
    expect({ status: onB.status, code: onB.body?.error_code }).toEqual({ status: 503, code: 'REDIS_UNAVAILABLE' });
    await sleep(OUTAGE_MS);
    expect((await httpCall(`${B.url}/healthz`)).status).toBe(200);
    await ctx.cluster.redisProxyOf(B).up();
    await eventually(async () => (await subscribers(online.address)) === 1, 8_000);

    // The message is durable (in PostgreSQL) and the recipient has been connected all along: it must
    // arrive without waiting for a reconnect or an /inbox call.
    const missed = await socket
      .next((f) => f.id === accepted.body.id, 5_000)
      .catch((e: Error) => {
        throw new Error(`${e.message}\n(the socket opened ${socket.opens()} time(s))`);
      });
    expect(missed.to).toBe(online.address);
    const after = (await ctx.cluster.client(C).send(online.address, 'after')).id;
    await socket.next((f) => f.id === after);
  });

  test('PostgreSQL cut for 2 s: 503 DATABASE_UNAVAILABLE (no 500, no crash); recovery without restarts, nothing lost', async () => {
    const { A, B, C } = ctx.cluster;
    const proxy = ctx.cluster.postgresProxy!;
    const sender = ctx.cluster.client(A);
    const online = ctx.cluster.client(B);
    const offline = ctx.cluster.client(C);
    await offline.token(); // strict-mode token before the cut (tokens need no database)
    const socket = await pushSocket(online, () => B);
    listeners.push(socket);
    const durable = (await sender.send(offline.address, 'queued before the cut')).id;

    await proxy.down();
    const cutAt = Date.now();
    const during: Array<{ node: string; route: string; status: number; code: unknown; retryAfter: unknown }> = [];
    while (Date.now() - cutAt < OUTAGE_MS) {
      for (const node of ctx.cluster.nodes) {
        const send = await post(node, sender.buildSend(online.address, 'during'));
        during.push({ node: node.name, route: '/send', status: send.status, code: send.body?.error_code, retryAfter: send.retryAfter });
        const inbox = await httpCall(`${node.url}/inbox/${offline.address}`, { headers: { authorization: `Bearer ${await offline.token()}` } });
        during.push({ node: node.name, route: '/inbox', status: inbox.status, code: inbox.body?.error_code, retryAfter: inbox.retryAfter });
      }
      await sleep(100);
    }
    const degraded = await httpCall(`${A.url}/health/`);
    await expectAllLive();
    await proxy.up();
    const restoredAt = Date.now();

    const statuses = [...new Set(during.map((d) => `${d.route} ${d.status} ${String(d.code)} retry-after ${String(d.retryAfter)}`))].sort();
    expect(statuses, JSON.stringify(during)).toEqual(['/inbox 503 DATABASE_UNAVAILABLE retry-after 1', '/send 503 DATABASE_UNAVAILABLE retry-after 1']);
    expect(degraded.status).toBe(503);

    const after = await sendOnceUp(sender, C, online.address, 'after');
    const acceptedMs = Date.now() - restoredAt;
    await socket.next((f) => f.id === after.id, 8_000);
    expect((await ctx.cluster.client(B, offline.identity).fetchInbox()).map((m) => m.id)).toEqual([durable]);
    expect(socket.frames.filter((f) => typeof f.id === 'number').map((f) => f.id)).toEqual([after.id]);
    expect((await httpCall(`${A.url}/health/`)).status).toBe(200);
    console.log(
      `PostgreSQL outage: ${during.length} requests refused with 503 over ${OUTAGE_MS} ms; a send was accepted ${acceptedMs} ms after the restore; push socket opened ${socket.opens()} time(s)`,
    );
    await expectAllLive();
  });
});
