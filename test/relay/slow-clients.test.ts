/** Slowloris: clients that trickle their headers or their body are cut off by header_timeout_seconds / request_timeout_seconds. */
import type { Socket } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startServer, type RunningServer } from '../support/test-server.js';
import { health, rawSocket, sleep } from './helpers.js';

const HEADER_TIMEOUT_MS = 500;
const REQUEST_TIMEOUT_MS = 1_000;

let srv: RunningServer;
beforeAll(async () => {
  srv = await startServer({ header_timeout_seconds: HEADER_TIMEOUT_MS / 1000, request_timeout_seconds: REQUEST_TIMEOUT_MS / 1000 });
});
afterAll(() => srv.stop());

/** Writes `first` to `server`, then `drip` every 100 ms until it closes; resolves with what came back and when. */
async function trickle(first: string, drip: string, giveUpMs = 5_000, server = srv): Promise<{ ms: number; text: string; closedByServer: boolean }> {
  const socket: Socket = await rawSocket(server.url);
  const started = Date.now();
  let text = '';
  socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
  socket.on('error', () => {});
  const closedByServer = new Promise<boolean>((resolve) => {
    socket.once('close', () => resolve(true));
    setTimeout(() => resolve(false), giveUpMs).unref();
  });
  socket.write(first);
  const timer = setInterval(() => {
    if (!socket.destroyed && socket.writable) socket.write(drip);
  }, 100);
  const closed = await closedByServer;
  clearInterval(timer);
  socket.destroy();
  return { ms: Date.now() - started, text, closedByServer: closed };
}

test('a client that never finishes its headers is cut off soon after header_timeout_seconds', async () => {
  const result = await trickle('POST /send HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'X-Slow: 1\r\n');
  expect(result.closedByServer).toBe(true);
  expect(result.ms).toBeGreaterThanOrEqual(HEADER_TIMEOUT_MS - 50);
  expect(result.ms).toBeLessThan(HEADER_TIMEOUT_MS + 1_000);
  expect(result.text).toMatch(/^HTTP\/1\.1 408 /);
  expect(result.text).toContain('"error_code":"REQUEST_TIMEOUT"');
});

test('a client that trickles its body is cut off soon after request_timeout_seconds and nothing is queued', async () => {
  const bob = srv.client();
  const body = JSON.stringify(srv.client().buildSend(bob.address, 'slow'));
  const head = `POST /send HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
  // The body arrives one byte per 100 ms: it would take minutes to complete.
  const result = await trickle(head + body.slice(0, 1), ' ');
  expect(result.closedByServer).toBe(true);
  expect(result.ms).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
  expect(result.ms).toBeLessThan(REQUEST_TIMEOUT_MS + 1_000);
  expect(result.text).toMatch(/^HTTP\/1\.1 408 /);
  expect(result.text).toContain('"error_code":"REQUEST_TIMEOUT"');
  expect(await bob.fetchInbox()).toEqual([]);
});

test('slow clients do not hold up others, and the server keeps serving after cutting them off', async () => {
  // A server of its own whose slow clients hang on for 3 s: the fast requests have all that time.
  const patient = await startServer({ header_timeout_seconds: 3 });
  try {
    const slow = Array.from({ length: 5 }, () => trickle('GET /health HTTP/1.1\r\n', 'X-Slow: 1\r\n', 10_000, patient));
    let firstCut = false;
    void Promise.race(slow).then(() => (firstCut = true));
    await sleep(100); // a head start, so the slow ones are in before the fast requests
    const alice = patient.client();
    const bob = patient.client();
    await alice.send(bob.address, 'fast');
    expect(await bob.fetchInbox()).toHaveLength(1);
    // Served while the slow ones still hang on: not after the server cut them off.
    expect(firstCut).toBe(false);
    expect((await Promise.all(slow)).every((r) => r.closedByServer)).toBe(true);
    expect((await health(patient.url)).status).toBe('ok');
  } finally {
    await patient.stop();
  }
});

test('a request that is not HTTP gets a 400 with the Whispr error body, and the server keeps serving', async () => {
  const result = await trickle('NOT-HTTP garbage\r\n\r\n', '', 3_000);
  expect(result.closedByServer).toBe(true);
  expect(result.text).toMatch(/^HTTP\/1\.1 400 /);
  expect(result.text).toContain('"error_code":"MALFORMED_REQUEST"');
  expect((await fetch(`${srv.url}/healthz`)).status).toBe(200);
});
