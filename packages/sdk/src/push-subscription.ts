export interface PushSubscriptionOptions {
  /** Builds the URL for each (re)connect, e.g. with a fresh token. */
  url: () => Promise<string>;
  onFrame: (frame: unknown) => void;
  onOpen?: () => void;
  onClose?: (code: number, reason: string) => void;
  /** First reconnect delay; doubles up to maxBackoffMs, with jitter. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

const decoder = new TextDecoder();

/**
 * A push socket that reconnects with exponential backoff until closed. It uses the platform's
 * WebSocket (browsers, Node >= 22), so credentials travel in the URL, never in headers.
 */
export class PushSubscription {
  private socket: WebSocket | undefined;
  private closed = false;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private openWaiters: Array<() => void> = [];

  constructor(private readonly options: PushSubscriptionOptions) {
    void this.connect();
  }

  get isOpen(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  /** Resolves when the socket is (re)connected. */
  waitOpen(): Promise<void> {
    if (this.isOpen) return Promise.resolve();
    return new Promise((resolve) => this.openWaiters.push(resolve));
  }

  /** Sends a JSON frame on the open socket; false when it is not open (nothing is buffered). */
  send(frame: unknown): boolean {
    if (!this.isOpen) return false;
    this.socket?.send(JSON.stringify(frame));
    return true;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.socket?.close(1000);
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    let url: string;
    try {
      url = await this.options.url();
    } catch {
      return this.retry();
    }
    if (this.closed) return;
    const socket = new WebSocket(url);
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.attempt = 0;
      this.options.onOpen?.();
      for (const resolve of this.openWaiters.splice(0)) resolve();
    });
    socket.addEventListener('message', (event) => {
      let frame: unknown;
      try {
        frame = JSON.parse(typeof event.data === 'string' ? event.data : decoder.decode(event.data as ArrayBuffer));
      } catch {
        return;
      }
      this.options.onFrame(frame);
    });
    socket.addEventListener('close', (event) => {
      this.options.onClose?.(event.code, event.reason);
      this.retry();
    });
  }

  private retry(): void {
    if (this.closed) return;
    const base = this.options.initialBackoffMs ?? 500;
    const delay = Math.min(this.options.maxBackoffMs ?? 30_000, base * 2 ** this.attempt);
    this.attempt += 1;
    this.timer = setTimeout(() => void this.connect(), delay * (0.75 + Math.random() * 0.5));
  }
}
