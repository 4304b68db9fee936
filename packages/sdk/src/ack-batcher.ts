/** How long acknowledgements gather before they leave in one frame (the server budgets frames per second). */
const ACK_DELAY_MS = 100;
/** The most ids the server takes in one acknowledgement. */
const MAX_IDS_PER_FRAME = 500;

/**
 * Gathers the ids of kept push messages and sends them in few frames. An acknowledgement that
 * cannot leave (the socket is closed) is dropped: the server pushes those messages again.
 */
export class AckBatcher {
  private ids: number[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly send: (ids: number[]) => void) {}

  add(id: number): void {
    this.ids.push(id);
    this.timer ??= setTimeout(() => this.flush(), ACK_DELAY_MS);
  }

  private flush(): void {
    this.timer = undefined;
    const ids = this.ids;
    this.ids = [];
    for (let i = 0; i < ids.length; i += MAX_IDS_PER_FRAME) this.send(ids.slice(i, i + MAX_IDS_PER_FRAME));
  }
}
