import { expect } from 'vitest';

/** A raw HTTP answer: status, headers and the parsed JSON body (or the text when it is not JSON). */
export interface ApiResponse {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: the JSON body of any endpoint, read field by field across the suites (92 places); unknown would only add a cast at each
  body: any;
}

export interface CallOptions {
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as is, with content-type application/json (for malformed bodies). */
  raw?: string;
  token?: string;
  query?: Record<string, string>;
}

/** Plain fetch, no SDK: for requests the SDK would never send and for checking raw answers. */
export async function call(baseUrl: string, method: string, path: string, options: CallOptions = {}): Promise<ApiResponse> {
  const url = new URL(path, baseUrl);
  for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
  const headers: Record<string, string> = {};
  let body: string | undefined;
  if (options.json !== undefined || options.raw !== undefined) {
    headers['content-type'] = 'application/json';
    body = options.raw ?? JSON.stringify(options.json);
  }
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(url, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/** Asserts the Whispr error shape {detail, error_code, timestamp} with this status (and code, if given). */
export function expectError(response: ApiResponse, status: number, code?: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.body).toEqual({ detail: expect.any(String), error_code: expect.any(String), timestamp: expect.any(Number) });
  expect((response.body as { detail: string }).detail.length).toBeGreaterThan(0);
  if (code !== undefined) expect(response.body.error_code).toBe(code);
  // The timestamp is the server's clock in seconds, not milliseconds.
  expect(Math.abs(response.body.timestamp - Date.now() / 1000)).toBeLessThan(60);
}
