import { randomUUID } from 'node:crypto';
import { CLOSE, type WsConnection } from '../../http/ws-gateway.js';
import type { QueueHub, QueueNotice } from './queue-hub.js';
import { QueueReader, type QueueReaderOptions } from './queue-reader.js';

/** Private-use close code: another connection of the same account took over (docs/websockets.md). */
export const CLOSE_REPLACED = 4000;

export interface QueueSessionOptions extends QueueReaderOptions {
  hub: QueueHub;
  /** One connection per account: a newer one (on any node) closes this one with CLOSE_REPLACED. */
  single: boolean;
  /** Sees each best-effort frame another node sent to this socket, before it is written. */
  onRelayedFrame?: (frame: Record<string, unknown>) => void;
}

/**
 * Binds a socket to its account's durable queue: the queue is flushed when the socket opens and
 * again on every wake-up from the bus; best-effort frames (call events) are written as they come.
 */
export function openQueueSession(connection: WsConnection, queueId: string, options: QueueSessionOptions): QueueReader {
  const reader = new QueueReader(queueId, { send: (frame) => connection.send(frame) }, options);
  const self = randomUUID();
  const onNotice = (notice: QueueNotice) => {
    if (notice.kind === 'queued') reader.wake(notice.event);
    else if (notice.kind === 'frame') {
      options.onRelayedFrame?.(notice.frame);
      connection.sendNow(JSON.stringify(notice.frame));
    } else if (options.single && notice.connection !== self) connection.close(CLOSE_REPLACED, 'replaced by a newer connection');
  };
  let stop: (() => void) | undefined;
  let closed = false;
  connection.ws.once('close', () => {
    closed = true;
    reader.close();
    stop?.();
  });
  options.hub
    .listen(queueId, onNotice)
    .then(async (unlisten) => {
      stop = unlisten;
      if (closed) return unlisten();
      if (options.single) await options.hub.notify(queueId, { kind: 'connected', connection: self });
      reader.wake();
    })
    .catch((err: unknown) => {
      options.onError(err);
      connection.close(CLOSE.internal, 'internal error');
    });
  return reader;
}
