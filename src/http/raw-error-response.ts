import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { ApiError, errorBody } from '../core/errors.js';

/**
 * Answers on a raw socket (refused upgrades, malformed HTTP) with the usual JSON error body, then
 * closes it once written: a client that keeps its end open must not keep the socket (and the
 * connection slots tied to it) for ever.
 */
export function writeRawError(socket: Duplex, err: ApiError): void {
  if (!socket.writable) return void socket.destroy();
  socket.once('finish', destroyWritten);
  const body = JSON.stringify(errorBody(err.code, err.detail));
  const retry = err.retryAfter === undefined ? '' : `Retry-After: ${Math.ceil(err.retryAfter)}\r\n`;
  socket.end(
    `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n${retry}\r\n${body}`,
  );
}

/** Errors Node's HTTP parser raises before a request reaches a route (slow or malformed clients). */
export function clientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET') return void socket.destroy();
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return void writeRawError(socket, new ApiError(408, 'REQUEST_TIMEOUT', 'The request was not sent in time'));
  if (err.code === 'HPE_HEADER_OVERFLOW') return void writeRawError(socket, new ApiError(431, 'HEADERS_TOO_LARGE', 'Request headers too large'));
  writeRawError(socket, new ApiError(400, 'MALFORMED_REQUEST', 'Malformed HTTP request'));
}

// Shared listener (`this` is the socket).
function destroyWritten(this: Duplex): void {
  this.destroy();
}
