/**
 * Forged client addresses: behind one proxy that appends to X-Forwarded-For (trust_proxy names
 * that proxy), a stranger who puts a new made-up address left of the real one on every request and
 * every upgrade is still one address to the per-address limits (HTTP budget, rooms sockets per
 * address), and a bystander at another address is served. Without trust_proxy the header is ignored.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type WebSocket from 'ws';
import { openWs, refusedStatus, wsUrl } from '../relay/helpers.js';
import { startAppendingProxy, type AppendingProxy } from '../support/appending-proxy.js';
import { captureLog } from '../support/log-capture.js';
import { startServer, type RunningServer } from '../support/test-server.js';

const ROOMS_PER_ADDRESS = 10; // rooms_connections_per_ip, default
const STRANGER = '127.0.80.1';
const BYSTANDER = '127.0.80.2';

let forged = 0;
/** A different made-up address each time. */
const forgedAddress = () => `203.0.113.${(forged++ % 250) + 1}`;

/** POST /send with an empty body from `from`: 400 while the address has budget (it runs before the body), 429 after. */
function sendStatus(baseUrl: string, from: string, forwardedFor?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (forwardedFor !== undefined) headers['x-forwarded-for'] = forwardedFor;
    const req = request(new URL('/send', baseUrl), { method: 'POST', headers, localAddress: from, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end('{}');
  });
}

const cases = [
  { name: 'behind one appending proxy (trust_proxy = its address)', proxied: true },
  { name: 'no proxy configured (trust_proxy empty, the default)', proxied: false },
];

describe.each(cases)('$name', ({ proxied }) => {
  let srv: RunningServer;
  let proxy: AppendingProxy | undefined;
  let entry: string;
  const sockets: WebSocket[] = [];
  beforeAll(async () => {
    // Strict and on its defaults, but for the HTTP budget (the test server raises it) and the proxy.
    srv = await startServer({ max_requests_per_ip_per_second: 50, ...(proxied ? { trust_proxy: ['127.0.0.1'] } : {}) });
    proxy = proxied ? await startAppendingProxy(srv.url) : undefined;
    entry = proxy?.url ?? srv.url;
  });
  afterAll(async () => {
    for (const ws of sockets) ws.terminate();
    await proxy?.stop();
    await srv?.stop();
  });

  test('a new forged X-Forwarded-For on every request does not buy a new HTTP budget; the bystander is served', async () => {
    const statuses = await Promise.all(Array.from({ length: 400 }, () => sendStatus(entry, STRANGER, forgedAddress())));
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 400 || s === 429)).toBe(true);
    expect(await sendStatus(entry, BYSTANDER)).toBe(400);
  });

  test('a new forged X-Forwarded-For on every upgrade does not buy more sockets; the bystander connects', async () => {
    const options = (from: string) => ({ localAddress: from, headers: { 'x-forwarded-for': forgedAddress() } });
    for (let i = 0; i < ROOMS_PER_ADDRESS; i++) sockets.push(await openWs(wsUrl(entry, '/rooms'), options(STRANGER)));
    expect(await refusedStatus(wsUrl(entry, '/rooms'), options(STRANGER))).toBe(429);
    sockets.push(await openWs(wsUrl(entry, '/rooms'), options(BYSTANDER)));
  });
});

test('the former trust_proxy=true still starts, trusting loopback proxies only, and says so at startup', async () => {
  const log = captureLog('warn');
  const srv = await startServer({ trust_proxy: ['true'] }, { logger: log.logger });
  try {
    expect(log.lines.some((line) => line.includes('trust_proxy=true now trusts proxies on loopback only'))).toBe(true);
  } finally {
    await srv.stop();
    log.end();
  }
});
