import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';
import type { ProxyTrust } from '../core/proxy-trust.js';

/**
 * The client address of a raw request, by the rule Fastify applies to `request.ip`: the right-most
 * hop that is not a trusted proxy (so a client cannot choose it by sending its own X-Forwarded-For).
 */
export function clientAddress(req: IncomingMessage, trust: ProxyTrust | false): string {
  if (req.socket.remoteAddress === undefined) return 'unknown';
  return trust === false ? req.socket.remoteAddress : proxyAddr(req, trust);
}
