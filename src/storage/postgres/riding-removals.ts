interface Rider {
  ids: readonly number[];
  settle(error?: unknown): void;
}

/**
 * Removals that may wait a little to ride along with another statement. A push removes the message
 * it wrote; the next push's lease, a few milliseconds later under load, carries that removal: one
 * commit for both instead of two. What no statement carried within `maxWaitMs` is removed on its own.
 * Each removal resolves once its rows are gone; until then they stay leased, hidden from every delivery.
 */
export class RidingRemovals {
  private riders: Rider[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly removeAlone: (ids: number[]) => Promise<unknown>,
    private readonly maxWaitMs: number,
  ) {}

  add(ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.riders.push({ ids, settle: (error) => (error === undefined ? resolve() : reject(error)) });
      this.timer ??= setTimeout(() => {
        void this.carry((all) => this.removeAlone(all)).catch(() => undefined); // each rider is told
      }, this.maxWaitMs);
    });
  }

  /** Runs `statement` with the ids of every waiting removal (maybe none); they settle as it does. */
  async carry<T>(statement: (ids: number[]) => Promise<T>): Promise<T> {
    const taken = this.riders;
    this.riders = [];
    clearTimeout(this.timer);
    this.timer = undefined;
    try {
      const result = await statement(taken.flatMap((r) => r.ids));
      for (const r of taken) r.settle();
      return result;
    } catch (error) {
      for (const r of taken) r.settle(error);
      throw error;
    }
  }
}
