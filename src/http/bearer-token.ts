import type { IncomingHttpHeaders } from 'node:http';

/** The bearer token of a request: the Authorization header, else a `token` query parameter (WebSockets). */
export function bearerToken(headers: IncomingHttpHeaders, query?: URLSearchParams): string | undefined {
  const header = headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    return match?.[1];
  }
  return query?.get('token') ?? undefined;
}
