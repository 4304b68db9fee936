import { isIPv4, isIPv6 } from 'node:net';

const MAPPED_IPV4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;
const PREFIX_HEXTETS = 4;

/**
 * The budget key of a client address. An IPv6 /64 is one key (one subscriber is routinely given a
 * whole /64, so per-address budgets on the full address would be free to multiply); an IPv4 address,
 * also written IPv4-mapped (`::ffff:a.b.c.d`), is itself. Anything else (e.g. `unknown`) is kept as is.
 */
export function addressKey(ip: string): string {
  const mapped = MAPPED_IPV4.exec(ip);
  if (mapped?.[1] !== undefined) return mapped[1];
  const address = ip.split('%')[0] ?? ip; // a zone id (fe80::1%eth0) names an interface, not a host
  if (isIPv4(address) || !isIPv6(address)) return address;
  return `${expandIPv6(address).slice(0, PREFIX_HEXTETS).join(':')}::/64`;
}

/** The eight hextets of a valid IPv6 address, lower-case and without leading zeros. */
function expandIPv6(address: string): string[] {
  const [head = '', tail] = address.split('::');
  const part = (text: string | undefined) => (text ? text.split(':').flatMap(hextets) : []);
  const left = part(head);
  const right = part(tail);
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((h) => Number.parseInt(h, 16).toString(16));
}

/** One group of an IPv6 address: a hextet, or a dotted IPv4 tail standing for two. */
function hextets(group: string): string[] {
  if (!group.includes('.')) return [group];
  const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number);
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
}
