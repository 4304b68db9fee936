/** What the attack tests share: the shipped defaults of the budgets under attack, and calls from a chosen client address. */
import { request } from 'node:http';
import { expect } from 'vitest';
import { type Config, SETTINGS } from '../../src/config/settings.js';

/**
 * The shipped defaults of these settings. startServer lifts the rate budgets for the feature tests
 * (they write fast from one address); an attack test puts back the ones under attack.
 */
export function shippedDefaults<K extends keyof Config>(...keys: K[]): Pick<Config, K> {
  return Object.fromEntries(keys.map((key) => [key, SETTINGS.find((s) => s.key === key)?.default])) as Pick<Config, K>;
}

export interface AddressedAnswer {
  status: number;
  retryAfter: number | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: a JSON body read field by field, as in test/auth/api.ts
  body: any;
}

/**
 * One HTTP call whose socket is bound to `from` (another 127.x.y.z is another client address on
 * this machine), with a JSON body and a bearer token if given.
 */
export function callFrom(
  from: string,
  baseUrl: string,
  method: string,
  path: string,
  options: { json?: unknown; token?: string | undefined } = {},
): Promise<AddressedAnswer> {
  const url = new URL(path, baseUrl);
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, localAddress: from, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const retryAfter = res.headers['retry-after'];
        resolve({ status: res.statusCode ?? 0, retryAfter: retryAfter === undefined ? undefined : Number(retryAfter), body: parsed(text) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The calls one after the other (an attacker's flood in the order sent), their answers in order. */
export async function inTurn<T>(count: number, send: (n: number) => Promise<T>): Promise<T[]> {
  const answers: T[] = [];
  for (let n = 0; n < count; n++) answers.push(await send(n));
  return answers;
}

/** An attacker's flood: calls one after the other until the first 429 or `limit` calls; the answers in order. */
export async function floodUntilRefused(limit: number, next: (n: number) => Promise<AddressedAnswer>): Promise<AddressedAnswer[]> {
  const answers: AddressedAnswer[] = [];
  for (let n = 0; n < limit && answers.at(-1)?.status !== 429; n++) answers.push(await next(n));
  return answers;
}

/** A 429 with this error code and a Retry-After. */
export function expectRefused(answer: AddressedAnswer | undefined, code: string): void {
  expect({ status: answer?.status, code: answer?.body.error_code }).toEqual({ status: 429, code });
  expect(answer?.retryAfter).toBeGreaterThan(0);
}
