import type { SqliteDatabase } from './sqlite-database.js';

interface PendingWrite {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/**
 * Runs the writes requested during one event-loop turn in a single transaction: a commit costs
 * about as much as the row itself, so concurrent requests share it. Each write runs in its own
 * savepoint, so one that throws is rolled back alone. Callers are answered only after the commit.
 */
export class SqliteWriteBatcher {
  private pending: PendingWrite[] = [];
  private scheduled = false;
  /**
   * Runs its argument in a transaction, or in a savepoint when called inside one. Made once:
   * db.transaction() builds four wrappers and defines their properties on every call.
   */
  private readonly atomically: (work: () => unknown) => unknown;

  constructor(db: SqliteDatabase) {
    this.atomically = db.transaction((work: () => unknown) => work());
  }

  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      this.atomically(() => {
        for (const write of batch) {
          try {
            outcomes.push({ ok: true, value: this.atomically(write.work) });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      for (const write of batch) write.reject(error);
      return;
    }
    batch.forEach((write, i) => {
      const outcome = outcomes[i] as (typeof outcomes)[number];
      if (outcome.ok) write.resolve(outcome.value);
      else write.reject(outcome.error);
    });
  }
}
