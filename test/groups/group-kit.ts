/** Shared by the group tests: a server per file, raw HTTP calls, error-body capture, push listeners. */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Config } from '../../src/config/settings.js';
import { GroupClient, PushSubscription, WhisprError, type WhisprClient } from 'whispr-sdk';
import { startServer, type RunningServer } from '../support/test-server.js';

export interface ErrorBody {
  detail: string;
  error_code: string;
  timestamp: number;
}

/**
 * Records the body of the last non-2xx answer any fetch in this process received, so a denial
 * made through the SDK (whose WhisprError drops `timestamp`) can still be checked for its full body.
 */
export function recordErrorBodies(): { last: () => unknown; restore: () => void } {
  const realFetch = globalThis.fetch;
  let last: unknown;
  globalThis.fetch = async (input, init) => {
    const response = await realFetch(input, init);
    if (!response.ok)
      last = await response
        .clone()
        .json()
        .catch(() => undefined);
    return response;
  };
  return {
    last: () => last,
    restore: () => {
      globalThis.fetch = realFetch;
    },
  };
}

/** Awaits `call`, which must fail with `status` and `code` and the standard error body. */
export async function denied(call: Promise<unknown>, status: number, code: string, lastBody: () => unknown): Promise<void> {
  const err = await call.then(
    (value) => {
      throw new Error(`expected ${status} ${code}, got success: ${JSON.stringify(value)}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WhisprError);
  expect({ status: (err as WhisprError).status, code: (err as WhisprError).errorCode }).toEqual({ status, code });
  expect(lastBody()).toEqual({ detail: expect.any(String), error_code: code, timestamp: expect.any(Number) });
}

/** A plain HTTP call (no SDK): for forged fields, aliases and missing or foreign tokens. */
export async function raw(
  baseUrl: string,
  method: string,
  path: string,
  options: { query?: Record<string, string | number | boolean>; body?: unknown; token?: string | undefined } = {},
): Promise<{ status: number; body: unknown }> {
  const url = new URL(path, baseUrl);
  for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, String(v));
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(url, { method, headers, ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }) });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

/** Expects a raw answer to be the given denial with the standard error body. */
export function expectError(answer: { status: number; body: unknown }, status: number, code: string): void {
  expect(answer).toEqual({ status, body: { detail: expect.any(String), error_code: code, timestamp: expect.any(Number) } });
}

export type Frame = { type: string } & Record<string, unknown>;

export interface Listener {
  frames: Frame[];
  /** Resolves with the first frame (already received or arriving) that matches, or fails after `timeoutMs`. */
  next(match: (frame: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  close(): void;
}

/**
 * Opens the push socket /ws/{key} of `client` and collects every frame, typed group events included
 * (WhisprClient.subscribe only passes frames with a `message` field, so it would drop
 * group_key_version events).
 */
export async function listen(client: WhisprClient): Promise<Listener> {
  const frames: Frame[] = [];
  const waiters = new Set<() => void>();
  const sub = new PushSubscription({
    url: async () => {
      const url = new URL(`/ws/${client.address}`, client.baseUrl.replace(/^http/, 'ws'));
      const token = await client.token();
      if (token !== undefined) url.searchParams.set('token', token);
      return url.toString();
    },
    onFrame: (frame) => {
      frames.push(frame as Frame);
      for (const wake of waiters) wake();
    },
  });
  await sub.waitOpen();
  return {
    frames,
    close: () => sub.close(),
    next(match, timeoutMs = 2_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = frames.find(match);
          if (found === undefined) return;
          cleanup();
          resolve(found);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no matching push frame within ${timeoutMs} ms; got ${JSON.stringify(frames.map((f) => f.type))}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}

export interface GroupTestUser {
  id: string;
  g: GroupClient;
  token: () => Promise<string>;
}

/**
 * A file's server (started before its tests, stopped after) with a read-only view of its database,
 * so tests can check what was and was not stored; `user()` is a fresh identity in token mode.
 */
export function useGroupServer(overrides: Partial<Config> = {}) {
  const kit = {} as { s: RunningServer; db: Database.Database };
  beforeAll(async () => {
    kit.s = await startServer(overrides);
    kit.db = new Database(join(kit.s.dataDir, 'whispr.sqlite'), { readonly: true, fileMustExist: true });
  });
  afterAll(async () => {
    kit.db.close();
    await kit.s.stop();
  });
  const user = (): GroupTestUser => {
    const client = kit.s.client();
    return { id: client.address, g: new GroupClient(client), token: () => client.token() as Promise<string> };
  };
  return { kit, user };
}
