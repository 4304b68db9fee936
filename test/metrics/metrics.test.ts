/** Prometheus metrics: the separate listener and the token route, over real HTTP. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { PushSubscription } from 'whispr-sdk';
import { freeTcpPort } from '../support/daemon.js';
import { eventually, startServer, type RunningServer } from '../support/test-server.js';
import { postText } from '../relay/helpers.js';
import { statusFigures } from '../support/server-status.js';

const TOKEN = 'metrics-test-token-0123456789';
let srv: RunningServer;
let metricsPort: number;
const subs: PushSubscription[] = [];

beforeAll(async () => {
  metricsPort = await freeTcpPort();
  srv = await startServer({ max_messages_per_second: 1, metrics_port: metricsPort, metrics_token: TOKEN });
});
afterAll(async () => {
  for (const s of subs) s.close();
  await srv.stop();
});

const scrape = async () => {
  const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return response.text();
};

/** The value of one sample, e.g. value(text, 'whispr_rate_limited_total{route="/send"}'); 0 when absent. */
function value(text: string, sample: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? 0 : Number(line.slice(sample.length + 1));
}

describe('the metrics listener', () => {
  test('traffic moves the counters and gauges; labels hold route patterns, never keys', async () => {
    const before = await scrape();
    const alice = srv.client();
    const bob = srv.client();
    await alice.send(bob.address, 'hello');
    const bad = await postText(
      srv.url,
      '/send',
      JSON.stringify({ ...alice.buildSend(bob.address, 'x'), signature: alice.buildSend(bob.address, 'y').signature }),
    );
    expect(bad.status).toBe(400);
    let limited = 0;
    for (let i = 0; i < 3; i++) if ((await postText(srv.url, '/send', JSON.stringify(alice.buildSend(bob.address, `m${i}`)))).status === 429) limited += 1;
    expect(limited).toBeGreaterThan(0);
    const sub = bob.subscribe(() => {});
    subs.push(sub);
    await sub.waitOpen();
    await srv.server.runCleanup();
    await eventually(async () => Object.entries(await statusFigures(srv)).some(([field, n]) => field.startsWith('websocket_connections.') && n > 0));

    const after = await scrape();
    expect(value(after, 'whispr_messages_relayed_total') - value(before, 'whispr_messages_relayed_total')).toBe(1);
    expect(value(after, 'whispr_signature_failures_total{route="/send"}')).toBe(1);
    expect(value(after, 'whispr_rate_limited_total{route="/send"}')).toBe(limited);
    expect(value(after, 'whispr_queued_messages')).toBeGreaterThanOrEqual(0);
    // The admin status's figures, by path (what /health no longer tells anyone).
    expect(value(after, 'whispr_status{field="queued_messages"}')).toBe(value(after, 'whispr_queued_messages'));
    expect(value(after, 'whispr_status{field="websocket_connections.whispr"}')).toBeGreaterThanOrEqual(1);
    const wsLines = after.split('\n').filter((l) => l.startsWith('whispr_websocket_connections{'));
    expect(wsLines.some((l) => Number(l.split(' ')[1]) >= 1)).toBe(true);
    expect(value(after, 'whispr_cleanup_runs_total{job="inbox"}')).toBeGreaterThanOrEqual(1);
    expect(after).toContain('whispr_cleanup_removed_total{job="attachments"}');
    expect(value(after, 'whispr_http_request_duration_seconds_count{method="POST",route="/send",status="200"}')).toBe(1);
    expect(after).toContain('whispr_http_request_duration_seconds_bucket{le="0.005",method="POST",route="/send",status="429"}');
    expect(after).toContain('whispr_process_cpu_user_seconds_total');
    expect(after).toContain('whispr_nodejs_eventloop_lag_seconds');
    // Fetching the inbox uses /inbox/<key>; only the pattern may appear.
    await bob.fetchInbox();
    const last = await scrape();
    expect(last).toContain('route="/inbox/:recipient_key"');
    for (const key of [alice.address, alice.signingKey, bob.address, bob.signingKey]) expect(last).not.toContain(key);
  });

  test('only GET /metrics is served', async () => {
    expect((await fetch(`http://127.0.0.1:${metricsPort}/other`)).status).toBe(404);
  });
});

describe('the token route on the main port', () => {
  test('refuses without a token and with a wrong one', async () => {
    expect((await fetch(`${srv.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${srv.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${srv.url}/metrics`, { headers: { authorization: TOKEN } })).status).toBe(401);
  });

  test('answers the scrape with the right bearer token', async () => {
    const response = await fetch(`${srv.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('whispr_http_request_duration_seconds_bucket');
    expect(text).toContain('whispr_websocket_connections');
  });

  test('without metrics_token there is no such route, and metrics_port 0 opens no listener', async () => {
    const plain = await startServer({ metrics_token: '' });
    try {
      expect((await fetch(`${plain.url}/metrics`, { headers: { authorization: 'Bearer ' } })).status).toBe(404);
    } finally {
      await plain.stop();
    }
  });
});
