interface Pending<I, O> {
  input: I;
  resolve: (output: O) => void;
  reject: (error: unknown) => void;
}

/**
 * Collects the calls made during one event-loop turn (at most `maxBatch` at a time) and runs them
 * as one statement: a round trip and a commit cost far more than a row, so concurrent requests
 * share them, as SqliteWriteBatcher shares a transaction. `runBatch` answers one output per input,
 * in order; if it fails, every call of the batch fails with its error.
 */
export class PgTurnBatcher<I, O> {
  private pending: Pending<I, O>[] = [];
  private scheduled = false;

  constructor(
    private readonly runBatch: (inputs: readonly I[]) => Promise<readonly O[]>,
    private readonly maxBatch = 200,
  ) {}

  run(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.pending.push({ input, resolve, reject });
      if (this.pending.length >= this.maxBatch) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    this.runBatch(batch.map((call) => call.input)).then(
      (outputs) => {
        batch.forEach((call, i) => {
          const output = outputs[i];
          if (output === undefined) call.reject(new Error(`batch answered ${outputs.length} results for ${batch.length} calls`));
          else call.resolve(output);
        });
      },
      (error: unknown) => {
        for (const call of batch) call.reject(error);
      },
    );
  }
}
