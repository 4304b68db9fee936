export interface CleanupJob {
  name: string;
  /** Returns how many items it removed. */
  run(): Promise<number>;
}

export interface JobStatus {
  runs: number;
  removed: number;
  last_run_at: number | null;
  last_error: string | null;
}

/** Runs every TTL cleanup on one interval; one job failing never stops the others. */
export class CleanupScheduler {
  private readonly status = new Map<string, JobStatus>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly jobs: readonly CleanupJob[],
    private readonly onError: (job: string, err: unknown) => void,
  ) {
    for (const job of jobs) this.status.set(job.name, { runs: 0, removed: 0, last_run_at: null, last_error: null });
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.runOnce(), intervalMs);
    this.timer.unref();
  }

  /** Runs every job once (never two sweeps at the same time). */
  runOnce(): Promise<void> {
    this.running = this.running.then(async () => {
      for (const job of this.jobs) {
        const status = this.status.get(job.name) as JobStatus;
        try {
          status.removed += await job.run();
          status.last_error = null;
        } catch (err) {
          status.last_error = (err as Error).message;
          this.onError(job.name, err);
        }
        status.runs += 1;
        status.last_run_at = Date.now() / 1000;
      }
    });
    return this.running;
  }

  snapshot(): Record<string, JobStatus> {
    return Object.fromEntries([...this.status].map(([name, s]) => [name, { ...s }]));
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
