import { mapOutage } from '../../core/outage.js';

/** Socket errors of a server that is down, unreachable or went away mid-query. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/** pg and pg-pool report a lost, impossible or closed connection with these messages and no code. */
const DRIVER_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Client was closed|Cannot use a pool after calling end)/;

/** SQLSTATE class 08 (connection exception), shutdown in progress (57P01-57P03), too many connections (53300). */
const isUnavailableState = (code: string): boolean => code.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(code);

/** True when `error` means "the database cannot answer now", as opposed to a fault in the query. */
function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || isUnavailableState(code))) return true;
  if (DRIVER_MESSAGES.test(error.message)) return true;
  // Node reports a refused dual-stack connect as an AggregateError; pg-pool wraps a connect timeout.
  const nested = [...(error instanceof AggregateError ? error.errors : []), error.cause];
  return nested.some(isDatabaseUnavailable);
}

/** Runs a database call so that an outage surfaces as 503 DATABASE_UNAVAILABLE. */
export const guardPostgres = <T>(work: () => Promise<T>): Promise<T> =>
  mapOutage(work, isDatabaseUnavailable, 'DATABASE_UNAVAILABLE', 'The database is unavailable; try again shortly');
