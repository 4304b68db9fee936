/** Shared by the admin and analytics tests: an admin-enabled server, login, raw admin calls, known traffic. */
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Config } from '../../src/config/settings.js';
import { GroupClient, newGroupKey, type WhisprClient } from 'whispr-sdk';
import { startServer, type RunningServer } from '../support/test-server.js';

export const ADMIN_USER = 'operator';
export const ADMIN_PASSWORD = 'correct horse battery staple';
export const ADMIN_SETTINGS: Partial<Config> = {
  admin_username: ADMIN_USER,
  admin_password: ADMIN_PASSWORD,
  analytics_jwt_secret: randomBytes(32).toString('hex'),
};

export const startAdminServer = (overrides: Partial<Config> = {}) => startServer({ ...ADMIN_SETTINGS, ...overrides });

/** A server for the enclosing describe block (started before its tests, stopped after); call the result for it. */
export function serverPerBlock(start: () => Promise<RunningServer>): () => RunningServer {
  let srv: RunningServer | undefined;
  beforeAll(async () => {
    srv = await start();
  });
  afterAll(async () => {
    await srv?.stop();
  });
  return () => srv!;
}

export interface Answer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: the JSON body of any admin endpoint, read field by field by the admin tests (27 places); unknown would only add a cast at each
  body: any;
  text: string;
}

export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; json?: unknown; form?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  let body: string | undefined;
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  }
  const response = await fetch(new URL(path, baseUrl), { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // CSV, HTML
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/** Logs in as the configured admin and returns the bearer token. */
export async function login(baseUrl: string, password = ADMIN_PASSWORD): Promise<string> {
  const answer = await call(baseUrl, 'POST', '/api/auth/login', { json: { username: ADMIN_USER, password } });
  expect(answer.status, answer.text).toBe(200);
  return answer.body.access_token as string;
}

const adminTokens = new WeakMap<RunningServer, string>();

/** GET /api/stats/system on a server with ADMIN_SETTINGS: every figure of its status, also those /health keeps private (one login per server). */
// biome-ignore lint/suspicious/noExplicitAny: the status document, read field by field as the admin tests read every body
export async function adminStatus(srv: RunningServer): Promise<any> {
  let token = adminTokens.get(srv);
  if (token === undefined) {
    token = await login(srv.url);
    adminTokens.set(srv, token);
  }
  const answer = await call(srv.url, 'GET', '/api/stats/system', { token });
  expect(answer.status, answer.text).toBe(200);
  return answer.body;
}

/** The Whispr error shape with this status and code. */
export function expectApiError(answer: Answer, status: number, code: string): void {
  expect({ status: answer.status, body: answer.body }).toEqual({
    status,
    body: { detail: expect.any(String), error_code: code, timestamp: expect.any(Number) },
  });
}

/** Ciphertext bytes of a /send body, as the server counts them. */
export const ciphertextBytes = (body: { message: string }) => Buffer.from(body.message, 'base64').length;

export interface Traffic {
  senders: WhisprClient[];
  recipient: WhisprClient;
  /** Every /send body sent (each accepted once). */
  bodies: Array<{ to: string; from_: string; enc_pub: string; message: string }>;
  messageBytes: number;
}

/** Direct messages: `counts[i]` messages from sender i to one recipient; each body is also resent once (a replay, not counted). */
export async function directTraffic(srv: RunningServer, counts: number[]): Promise<Traffic> {
  const recipient = srv.client();
  const senders = counts.map(() => srv.client());
  const bodies: Traffic['bodies'] = [];
  for (const [i, n] of counts.entries()) {
    for (let k = 0; k < n; k++) {
      const body = senders[i]!.buildSend(recipient.address, `message ${k} from sender ${i}`.padEnd(20 + 7 * k, '.'));
      await senders[i]!.sendBody(body);
      const replay = await senders[i]!.sendBody(body);
      expect(replay.duplicate).toBe(true);
      bodies.push(body);
    }
  }
  return { senders, recipient, bodies, messageBytes: bodies.reduce((sum, b) => sum + ciphertextBytes(b), 0) };
}

export interface GroupTraffic {
  owner: GroupClient;
  groupId: string;
  channelId: string;
  key: Uint8Array;
}

/** A group of `owner`'s with its key distributed, and `messages` messages in #general. */
export async function groupWithMessages(owner: WhisprClient, name: string, isPublic: boolean, messages: number): Promise<GroupTraffic> {
  const group = new GroupClient(owner);
  const { id } = await group.create(name, isPublic);
  const key = newGroupKey();
  await group.distributeKey(id, key, 1);
  const { channels } = await group.listChannels(id);
  const channelId = channels[0]!.id;
  for (let i = 0; i < messages; i++) await group.send(id, channelId, key, 1, `group message ${i}`);
  return { owner: group, groupId: id, channelId, key };
}

/** Stops the server (which flushes the counters) and returns every row of every analytics_* table of its database. */
export async function closeAndReadAnalytics(srv: RunningServer): Promise<Record<string, Array<Record<string, unknown>>>> {
  await srv.server.close();
  const db = new Database(join(srv.dataDir, 'whispr.sqlite'), { readonly: true });
  try {
    const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'analytics%' ORDER BY name").all();
    return Object.fromEntries(tables.map(({ name }) => [name, db.prepare(`SELECT * FROM ${name}`).all() as Array<Record<string, unknown>>]));
  } finally {
    db.close();
    rmSync(srv.dataDir, { recursive: true, force: true });
    srv.stop = async () => {}; // already stopped
  }
}
