import { bufferSource } from './encoding.js';

/** A non-2xx answer from a Whispr server, with its error body. */
export class WhisprError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    readonly detail: string,
    readonly retryAfter: number | undefined,
  ) {
    super(`${status} ${errorCode}: ${detail}`);
  }
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as-is with no Content-Type, as the original client uploads group files. */
  rawBody?: Uint8Array;
  token?: string;
  query?: Record<string, string | number | undefined>;
}

/** JSON over fetch; throws WhisprError for any non-2xx answer. */
export async function requestJson<T>(baseUrl: string, method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const response = await request(baseUrl, method, path, options);
  return (await response.json()) as T;
}

export async function request(baseUrl: string, method: string, path: string, options: RequestOptions = {}): Promise<Response> {
  const url = new URL(path, baseUrl);
  for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const body = options.rawBody !== undefined ? bufferSource(options.rawBody) : options.body === undefined ? undefined : JSON.stringify(options.body);
  const response = await fetch(url, { method, headers, body });
  if (!response.ok) {
    const text = await response.text();
    let body: { error_code?: string; detail?: string } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      body = { detail: text };
    }
    const retryAfter = response.headers.get('retry-after');
    throw new WhisprError(response.status, body.error_code ?? 'UNKNOWN', String(body.detail ?? ''), retryAfter === null ? undefined : Number(retryAfter));
  }
  return response;
}
