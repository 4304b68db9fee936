import { ApiError, unavailable } from './errors.js';

/**
 * Runs `work` so that a failure `isOutage` recognises (a backing service that cannot answer now)
 * surfaces as 503 `code`, which the HTTP layer answers as 503 instead of 500. Other errors pass through.
 */
export async function mapOutage<T>(work: () => Promise<T>, isOutage: (error: unknown) => boolean, code: string, detail: string): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ApiError || !isOutage(error)) throw error;
    const mapped = unavailable(code, detail);
    mapped.cause = error; // kept for logs and debugging; never sent to the client
    throw mapped;
  }
}
