/** Small real-client helpers shared by the relay tests (raw HTTP, raw sockets, raw WebSockets). */
import { connect, type Socket } from 'node:net';
import { expect } from 'vitest';
import WebSocket from 'ws';

export interface RawResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

/** POSTs `text` verbatim as JSON (for bodies JSON.stringify cannot or would not write). */
export async function postText(baseUrl: string, path: string, text: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const response = await fetch(new URL(path, baseUrl), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: text });
  return { status: response.status, headers: response.headers, body: parseMaybe(await response.text()) };
}

export async function getJson(baseUrl: string, path: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const response = await fetch(new URL(path, baseUrl), { headers });
  return { status: response.status, headers: response.headers, body: parseMaybe(await response.text()) };
}

function parseMaybe(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Asserts a Whispr error answer: the status, the error code and the {detail, error_code, timestamp} shape. */
export function expectError(response: RawResponse, status: number, errorCode?: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.body).toEqual({ detail: expect.any(String), error_code: expect.any(String), timestamp: expect.any(Number) });
  const body = response.body as { error_code: string; timestamp: number };
  if (errorCode !== undefined) expect(body.error_code).toBe(errorCode);
  // The error timestamp is the server's clock in Unix seconds, not milliseconds.
  expect(Math.abs(body.timestamp - Date.now() / 1000)).toBeLessThan(60);
}

/** The server's public status document (its private figures: support/server-status.ts). */
export async function health(baseUrl: string): Promise<{ status: string }> {
  const response = await fetch(new URL('/health', baseUrl));
  return (await response.json()) as { status: string };
}

export function hostPort(baseUrl: string): { host: string; port: number } {
  const url = new URL(baseUrl);
  return { host: url.hostname, port: Number(url.port) };
}

/**
 * Opens a plain TCP socket to the server; `localAddress` speaks from another 127.x.y.z, `allowHalfOpen`
 * keeps the client's end open after the server closes its own.
 */
export function rawSocket(baseUrl: string, options: { localAddress?: string; allowHalfOpen?: boolean } = {}): Promise<Socket> {
  const { host, port } = hostPort(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host, ...options }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * The text of a WebSocket upgrade request for `path`: a valid one, or with some headers changed
 * (a value) or left out (undefined), and another method.
 */
export function upgradeRequest(path: string, change: Record<string, string | undefined> = {}, method = 'GET'): string {
  const headers: Record<string, string | undefined> = {
    Host: '127.0.0.1',
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    ...change,
  };
  const lines = Object.entries(headers).flatMap(([name, value]) => (value === undefined ? [] : [`${name}: ${value}\r\n`]));
  return `${method} ${path} HTTP/1.1\r\n${lines.join('')}\r\n`;
}

/**
 * Writes `head` on a raw socket and reads one HTTP response (status line, headers and a body of
 * Content-Length bytes). Rejects if nothing complete arrives within `timeoutMs`.
 */
export function rawExchange(socket: Socket, head: string, timeoutMs = 3_000): Promise<{ status: number; head: string; body: string }> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new Error(`no complete response within ${timeoutMs} ms: ${buffered.toString()}`)), timeoutMs);
    const finish = (err?: Error, value?: { status: number; head: string; body: string }) => {
      clearTimeout(timer);
      socket.off('data', onData);
      if (err !== undefined) reject(err);
      else if (value !== undefined) resolve(value);
    };
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const headText = buffered.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(headText)?.[1] ?? 0);
      if (buffered.length < end + 4 + length) return;
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(headText)?.[1]);
      finish(undefined, { status, head: headText, body: buffered.subarray(end + 4, end + 4 + length).toString('utf8') });
    };
    socket.on('data', onData);
    socket.write(head);
  });
}

/** The complete frames in `bytes` a server sent on a raw socket (server frames are unmasked): opcode and payload of each. */
export function serverFrames(bytes: Buffer): Array<{ opcode: number; payload: Buffer }> {
  const out: Array<{ opcode: number; payload: Buffer }> = [];
  let at = 0;
  while (at + 2 <= bytes.length) {
    const opcode = bytes[at]! & 0x0f;
    let length = bytes[at + 1]! & 0x7f;
    let header = 2;
    if (length === 126) {
      length = bytes.readUInt16BE(at + 2);
      header = 4;
    } else if (length === 127) {
      length = Number(bytes.readBigUInt64BE(at + 2));
      header = 10;
    }
    if (at + header + length > bytes.length) break;
    out.push({ opcode, payload: bytes.subarray(at + header, at + header + length) });
    at += header + length;
  }
  return out;
}

/** A raw WebSocket client that resolves once open; rejects with the HTTP status of a refused upgrade. */
export function openWs(url: string, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new UpgradeRefused(res.statusCode ?? 0)));
    ws.once('error', reject);
  });
}

export class UpgradeRefused extends Error {
  constructor(readonly statusCode: number) {
    super(`upgrade refused with HTTP ${statusCode}`);
  }
}

/** The HTTP status a refused upgrade answered with (fails the test if the upgrade succeeds). */
export async function refusedStatus(url: string, options: WebSocket.ClientOptions = {}): Promise<number> {
  try {
    const ws = await openWs(url, options);
    ws.terminate();
  } catch (err) {
    if (err instanceof UpgradeRefused) return err.statusCode;
    throw err;
  }
  throw new Error(`upgrade to ${url} was accepted`);
}

/** Collects the JSON frames a socket receives. */
export function collectFrames(ws: WebSocket): Array<Record<string, unknown>> {
  const frames: Array<Record<string, unknown>> = [];
  ws.on('message', (data) => frames.push(JSON.parse(String(data)) as Record<string, unknown>));
  return frames;
}

/**
 * Opens a socket that collects frames from the very first one: a server that writes right after the
 * upgrade (queued messages) can get a frame in before a listener added after `open` would see it.
 */
export async function openCollecting(url: string, options: WebSocket.ClientOptions = {}): Promise<{ ws: WebSocket; frames: Array<Record<string, unknown>> }> {
  const ws = new WebSocket(url, options);
  const frames = collectFrames(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new UpgradeRefused(res.statusCode ?? 0)));
    ws.once('error', reject);
  });
  return { ws, frames };
}

/** Resolves with the close code once the socket is closed. */
export function closed(ws: WebSocket): Promise<number> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve(-1);
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** ws:// URL of a server path. */
export function wsUrl(baseUrl: string, path: string): string {
  return new URL(path, baseUrl.replace(/^http/, 'ws')).toString();
}
