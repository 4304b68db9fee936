import pg from 'pg';
import { vi } from 'vitest';

/**
 * What `work` answers and how many statements it sent PostgreSQL, counted in the driver (every
 * query of every pg client, pooled or in a transaction, BEGIN and COMMIT included): its round trips.
 */
export async function countStatements<T>(work: () => Promise<T>): Promise<{ result: T; statements: number }> {
  const query = vi.spyOn(pg.Client.prototype, 'query');
  try {
    const result = await work();
    return { result, statements: query.mock.calls.length };
  } finally {
    query.mockRestore();
  }
}
