/**
 * A start that cannot succeed for a reason the operator can fix (a busy port, an unreachable
 * database, a data directory that cannot be written). The message is one line: what failed, where,
 * and what to do; `whispr` prints it without a stack trace.
 */
import { ApiError } from '../core/errors.js';

export class StartupError extends Error {}

/** The reason of a low-level error, without its stack: "connect ECONNREFUSED 127.0.0.1:5433". */
export function reasonOf(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return reasonOf(err.errors[0]);
  // An outage mapped to 503 for clients keeps the driver's own reason as its cause.
  if (err instanceof ApiError && err.cause !== undefined) return reasonOf(err.cause);
  if (err instanceof Error) return (err.message || (err as NodeJS.ErrnoException).code || err.name).split('\n')[0] ?? err.name;
  return String(err);
}

/** Runs `open`; any failure but one already explained becomes a StartupError with `explain(reason)`. */
export async function explainFailure<T>(
  open: () => Promise<T> | T,
  explain: (reason: string) => string,
  keep: (err: unknown) => boolean = () => false,
): Promise<T> {
  try {
    return await open();
  } catch (err) {
    if (err instanceof StartupError || keep(err)) throw err;
    throw new StartupError(explain(reasonOf(err)), { cause: err });
  }
}
