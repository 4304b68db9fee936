import { fragmentLink, takeFragment } from './fragment-link.js';

/** A link that opens Whispr Web on this server with the address ready to add. */
export const contactLink = (address: string): string => fragmentLink('add', address);

/** The address a contact link brought, once. */
export const takeLinkedAddress = (): string | undefined => takeFragment('add', /[0-9a-f]{64}/);
