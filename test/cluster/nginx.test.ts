/**
 * deploy/nginx-cluster.conf in front of three real nodes: a real nginx (Debian package) runs a copy
 * of the shipped config with only ports, certificate and paths changed (the upstream's node1..3
 * become the three nodes on 127.0.0.1). Requests spread over the nodes, a message crosses nodes
 * through the proxy, and a node killed with SIGKILL is skipped without a failed request.
 */
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { generateIdentity, WhisprClient } from 'whispr-sdk';
import { nginxAvailable, startTestNginx, type TestNginx } from '../support/nginx.js';
import { eventually } from '../support/eventually.js';
import { statusFigure } from '../support/server-status.js';
import { CLUSTER_METRICS_TOKEN, clusterServicesAvailable, scraped, useCluster, type Frame } from './cluster-kit.js';

const available = nginxAvailable('test/cluster/nginx.test.ts') && (await clusterServicesAvailable('test/cluster/nginx.test.ts'));

describe.runIf(available)('deploy/nginx-cluster.conf with a real nginx in front of three nodes', () => {
  const ctx = useCluster({ env: { WHISPR_TRUST_PROXY: 'loopback' } });
  let nginx: TestNginx | undefined;
  let ca: Buffer;
  let port = 0;

  const request = (method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: unknown }> => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string | number> = {};
    if (payload !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    return new Promise((resolve, reject) => {
      const req = https.request({ host: '127.0.0.1', port, path, method, headers, ca, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text.startsWith('{') ? JSON.parse(text) : text }));
      });
      req.on('error', reject);
      req.end(payload);
    });
  };
  const socket = async (path: string) => {
    const ws = new WebSocket(`wss://127.0.0.1:${port}${path}`, { ca });
    const frames: Frame[] = [];
    ws.on('message', (data) => frames.push(JSON.parse(String(data)) as Frame));
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return { ws, frames, closed };
  };
  /** The node that answered a request through nginx: its whispr_node_info line (/metrics with the nodes' token). */
  const nodeIdOf = async () => {
    const text = (await request('GET', '/metrics', undefined, CLUSTER_METRICS_TOKEN)).body as string;
    return /^whispr_node_info\{node_id="([^"]+)"\} 1$/m.exec(text)?.[1] ?? `no node id in: ${text.slice(0, 200)}`;
  };

  beforeAll(async () => {
    // The upstream's node1..3 become the three nodes on 127.0.0.1.
    const upstreams = ctx.cluster.nodes.map((node, i): [string, string] => [`server node${i + 1}:8000 `, `server 127.0.0.1:${new URL(node.url).port} `]);
    nginx = await startTestNginx('deploy/nginx-cluster.conf', upstreams);
    ({ ca, httpsPort: port } = nginx);
  }, 60_000);
  afterAll(async () => {
    await nginx?.stop();
  });

  test('requests through nginx reach all three nodes', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 12; i++) ids.add(await nodeIdOf());
    expect(ids.size).toBe(3);
  });

  test('a push socket and sends through nginx; a SIGKILLed node is skipped, its socket reconnects through nginx', async () => {
    const recipient = new WhisprClient({ baseUrl: ctx.cluster.A.url, identity: generateIdentity() });
    const token = (await recipient.token())!; // valid on every node
    const sender = new WhisprClient({ baseUrl: ctx.cluster.A.url, identity: generateIdentity() });
    const path = `/ws/${recipient.address}?token=${encodeURIComponent(token)}`;
    const first = await socket(path);
    const send = async (text: string) => {
      const answer = await request('POST', '/send', sender.buildSend(recipient.address, text));
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      return (answer.body as { id: number }).id;
    };
    // Sends are spread over the nodes; each arrives on the socket, wherever it is.
    const ids: number[] = [];
    for (let i = 0; i < 6; i++) ids.push(await send(`m${i}`));
    await eventually(() => ids.every((id) => first.frames.some((f) => f.id === id)), 5_000);

    // Kill the node that holds the socket: the socket closes, nginx skips the node, nothing fails.
    const counts = await Promise.all(ctx.cluster.nodes.map((n) => statusFigure(scraped(n), 'websocket_connections.whispr')));
    const holder = ctx.cluster.nodes[counts.indexOf(1)]!;
    await holder.kill();
    await first.closed;
    const statuses = [];
    for (let i = 0; i < 12; i++) statuses.push((await request('GET', '/healthz')).status);
    expect(
      statuses.every((s) => s === 200),
      JSON.stringify(statuses),
    ).toBe(true);
    const again = await socket(path);
    const later: number[] = [];
    for (let i = 0; i < 6; i++) later.push(await send(`later${i}`));
    await eventually(() => later.every((id) => again.frames.some((f) => f.id === id)), 5_000);
    again.ws.close();
  });
});
