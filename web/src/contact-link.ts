/** A link that opens Whispr Web on this server with the address ready to add; it travels in the fragment, which browsers never send to a server. */
export const contactLink = (address: string): string => new URL(`#add=${address}`, location.href).href;

/** The address a contact link brought, once: the fragment is cleared so that a reload does not offer it again. */
export function takeLinkedAddress(): string | undefined {
  const match = /^#add=([0-9a-f]{64})$/.exec(location.hash);
  if (match === null) return undefined;
  history.replaceState(null, '', location.pathname + location.search);
  return match[1];
}
