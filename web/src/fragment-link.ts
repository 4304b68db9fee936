/**
 * Links that open Whispr Web on this server with something ready to use (an address to add, an
 * invite to join). It travels in the fragment, which browsers never send to a server.
 */
export const fragmentLink = (name: string, value: string): string => new URL(`#${name}=${value}`, location.href).href;

/** The value a link brought, once: the fragment is cleared so that a reload does not offer it again. */
export function takeFragment(name: string, value: RegExp): string | undefined {
  const [key, found] = location.hash.slice(1).split(/=(.*)/s);
  if (key !== name || found === undefined || !new RegExp(`^(?:${value.source})$`).test(found)) return undefined;
  history.replaceState(null, '', location.pathname + location.search);
  return found;
}
