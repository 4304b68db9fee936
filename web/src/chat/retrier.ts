/**
 * Runs an async task one at a time. A run that reports unfinished work (false) is tried again
 * after a delay that doubles up to a ceiling; a kick (reconnect, back online, new work) runs it now.
 */
export class Retrier {
  private running = false;
  private kickedWhileRunning = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private delayMs: number;

  constructor(
    private readonly task: () => Promise<boolean>,
    private readonly initialDelayMs = 1_000,
    private readonly maxDelayMs = 30_000,
  ) {
    this.delayMs = initialDelayMs;
  }

  kick(): void {
    if (this.running) {
      this.kickedWhileRunning = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = true;
    void this.task()
      .catch(() => false)
      .then((finished) => {
        this.running = false;
        if (finished) this.delayMs = this.initialDelayMs;
        else {
          this.timer = setTimeout(() => this.kick(), this.delayMs);
          this.delayMs = Math.min(this.maxDelayMs, this.delayMs * 2);
        }
        if (this.kickedWhileRunning) {
          this.kickedWhileRunning = false;
          this.kick();
        }
      });
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
