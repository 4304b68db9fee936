/** Per-address limits hold summed over the nodes: the request rate budget and the WebSocket cap. */
import { afterEach, describe, expect, test } from 'vitest';
import type WebSocket from 'ws';
import { generateIdentity, WhisprClient, toHex } from 'whispr-sdk';
import { openWs, refusedStatus } from '../relay/helpers.js';
import { eventually } from '../support/eventually.js';
import { clusterServicesAvailable, httpCall, useCluster, wsOf } from './cluster-kit.js';

const available = await clusterServicesAvailable('test/cluster/limits.test.ts');
const RATE = 5; // requests per second per address; burst 2 x RATE
const WS_CAP = 3;

describe.runIf(available)('cluster: limits across nodes', () => {
  const ctx = useCluster({
    env: {
      WHISPR_MAX_REQUESTS_PER_IP_PER_SECOND: String(RATE),
      WHISPR_MAX_WEBSOCKET_CONNECTIONS_PER_IP: String(WS_CAP),
    },
  });
  const opened: WebSocket[] = [];
  afterEach(() => {
    for (const ws of opened.splice(0)) ws.terminate();
  });

  test('max_requests_per_ip_per_second is one budget over A, B and C: 429s once the shared burst is spent', async () => {
    const { nodes } = ctx.cluster;
    const to = toHex(generateIdentity().encryption.publicKey);
    // Signed bodies built beforehand (each with its own sender: only the address budget is at stake).
    const bodies = Array.from({ length: 30 }, () => new WhisprClient({ baseUrl: nodes[0]!.url, identity: generateIdentity() }).buildSend(to, 'x'));
    const started = Date.now();
    const answers = await Promise.all(
      bodies.map(async (body, i) => {
        const node = nodes[i % nodes.length]!;
        const answer = await httpCall(`${node.url}/send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        return { node: node.name, ...answer };
      }),
    );
    const elapsed = (Date.now() - started) / 1000;
    const accepted = answers.filter((a) => a.status === 200);
    const limited = answers.filter((a) => a.status === 429);
    expect(accepted.length + limited.length, JSON.stringify(answers.filter((a) => a.status !== 200 && a.status !== 429))).toBe(30);
    // One node alone would accept its whole share (10 of 30 each, within its own burst of 10): 30 in all.
    const budget = 2 * RATE + Math.ceil(RATE * elapsed) + 1;
    expect(accepted.length, `accepted ${accepted.length} of 30 in ${elapsed}s; budget ${budget}`).toBeLessThanOrEqual(budget);
    expect(accepted.length).toBeGreaterThanOrEqual(2 * RATE - 2);
    expect(limited[0]?.body).toMatchObject({ error_code: 'RATE_LIMITED' });
    // After a second the budget refills for everyone, on any node.
    await new Promise((r) => setTimeout(r, 1_100));
    const body = new WhisprClient({ baseUrl: nodes[2]!.url, identity: generateIdentity() }).buildSend(to, 'later');
    expect(
      (await httpCall(`${nodes[2]!.url}/send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).status,
    ).toBe(200);
  });

  test('max_websocket_connections_per_ip holds across nodes: one socket on each of A, B, C, the fourth is refused on any node', async () => {
    const { A, B, C } = ctx.cluster;
    for (const node of [A, B, C]) opened.push(await openWs(wsOf(node, '/rooms')));
    for (const node of [A, B, C]) expect(await refusedStatus(wsOf(node, '/rooms')), `node ${node.name}`).toBe(429);
    // A closed socket on B gives its slot back to the whole cluster.
    const onB = opened[1]!;
    onB.close();
    await eventually(async () => {
      try {
        opened.push(await openWs(wsOf(C, '/rooms')));
        return true;
      } catch {
        return false;
      }
    }, 3_000);
    expect(await refusedStatus(wsOf(A, '/rooms'))).toBe(429);
  });
});
