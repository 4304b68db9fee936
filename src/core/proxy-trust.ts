import proxyAddr from 'proxy-addr';

/** Whether the hop at `addr` (0 = the socket's peer, then X-Forwarded-For right to left) is a proxy of ours. */
export type ProxyTrust = (addr: string, hop: number) => boolean;

/** The former boolean `true`: kept working, narrowed to proxies on this machine (a remote proxy needs its address). */
export const LEGACY_TRUE = 'true';
const LOOPBACK = 'loopback';

/**
 * Compiles trust_proxy: no entries trusts nobody (the socket's address is the client's); otherwise
 * the listed addresses, CIDR ranges and proxy-addr's names (loopback, linklocal, uniquelocal).
 * Throws on an entry that is none of these.
 */
export function compileProxyTrust(entries: readonly string[]): ProxyTrust | false {
  if (entries.length === 0) return false;
  return proxyAddr.compile(entries.map((entry) => (entry === LEGACY_TRUE ? LOOPBACK : entry)));
}
