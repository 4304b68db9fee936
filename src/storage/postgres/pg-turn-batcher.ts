interface Pending<I, O> {
  input: I;
  resolve: (output: O) => void;
  reject: (error: unknown) => void;
}

/**
 * Collects the calls made during one event-loop turn and runs them as one statement: a round trip
 * and a commit cost far more than a row, so concurrent requests share them, as SqliteWriteBatcher
 * shares a transaction. At most `maxInFlight` batches run at once (one by default: in the bench that
 * gave more sends/s and less PostgreSQL CPU per send than two); calls made meanwhile wait and go
 * together in the next one, so under load the batches grow instead of the statements multiplying.
 * `runBatch` answers one output per input, in order; if it fails, every call of the batch fails with its error.
 */
export class PgTurnBatcher<I, O> {
  private pending: Pending<I, O>[] = [];
  private scheduled = false;
  private inFlight = 0;

  constructor(
    private readonly runBatch: (inputs: readonly I[]) => Promise<readonly O[]>,
    private readonly maxBatch = 200,
    private readonly maxInFlight = 1,
  ) {}

  run(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.pending.push({ input, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.pending.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    const batch = this.pending.splice(0, this.maxBatch);
    if (batch.length === 0) return;
    this.inFlight += 1;
    this.runBatch(batch.map((call) => call.input))
      .then(
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
      )
      .finally(() => {
        this.inFlight -= 1;
        this.schedule();
      });
    this.schedule(); // more than maxBatch waiting: the rest goes next, if a slot is free
  }
}
