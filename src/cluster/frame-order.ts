/** `next(value)` now for a plain value, once it resolves for a promise. */
export function after<T, R>(value: T | Promise<T>, next: (value: T) => R): R | Promise<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}

/**
 * A connection that handles its frames in the order they arrived. While every handling returns at
 * once (one node) `inOrder` is a plain call; a handling that returns a promise (a join across
 * nodes) holds the frames after it, and the close, until it settles.
 */
export abstract class FrameOrder {
  /** Frames that may wait behind a pending handling; one more is refused (the caller closes the socket). */
  static readonly MAX_WAITING = 64;
  private pending: Promise<void> | undefined = undefined;
  private waiting = 0;

  /** Answers an error (an error frame); rethrows what it does not know. */
  protected abstract fail(err: unknown): void;
  /** What `fail` rethrew after a promise, when there is no caller left to throw to. */
  protected abstract lost(err: unknown): void;

  /**
   * False when too many frames already wait: the frame is dropped, and the caller should close the
   * socket. `always`: never dropped (the close).
   */
  inOrder(work: () => void | Promise<void>, always = false): boolean {
    if (this.pending !== undefined) {
      if (this.waiting >= FrameOrder.MAX_WAITING && !always) return false;
      this.waiting += 1;
      this.hold(
        this.pending.then(() => {
          this.waiting -= 1;
          return work();
        }),
      );
      return true;
    }
    let result: void | Promise<void>;
    try {
      result = work();
    } catch (err) {
      this.fail(err);
      return true;
    }
    if (result instanceof Promise) this.hold(result);
    return true;
  }

  private hold(work: Promise<void>): void {
    const pending: Promise<void> = work
      .catch((err: unknown) => {
        try {
          this.fail(err);
        } catch (unknown) {
          this.lost(unknown);
        }
      })
      .finally(() => {
        if (this.pending === pending) this.pending = undefined;
      });
    this.pending = pending;
  }
}
