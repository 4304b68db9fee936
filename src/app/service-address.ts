/** A database or Redis URL as it may be logged and printed: host, port and database, never a user or password. */
export function serviceAddress(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return '(an unparsable URL)';
  }
}

/** The one line for a PostgreSQL that cannot be reached or refuses the connection. */
export const postgresUnreachable = (databaseUrl: string) => (reason: string) =>
  `cannot reach PostgreSQL at ${serviceAddress(databaseUrl)} (${reason}): check that it is running and that database_url (WHISPR_DATABASE_URL, --database-url) is right`;

/** The one line for a Redis that cannot be reached or refuses the connection. */
export const redisUnreachable = (redisUrl: string) => (reason: string) =>
  `cannot reach Redis at ${serviceAddress(redisUrl)} (${reason}): check that it is running and that redis_url (WHISPR_REDIS_URL) and redis_password are right`;
