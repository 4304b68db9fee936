import { sodium } from './sodium.js';

// Byte ↔ text helpers for the wire formats: keys travel as hex, ciphertexts and signatures as
// standard padded base64, messages as UTF-8.

export const toHex = (bytes: Uint8Array): string => sodium.to_hex(bytes);
export const fromHex = (hex: string): Uint8Array => sodium.from_hex(hex);
export const toBase64 = (bytes: Uint8Array): string => sodium.to_base64(bytes, sodium.base64_variants.ORIGINAL);
export const fromBase64 = (base64: string): Uint8Array => sodium.from_base64(base64, sodium.base64_variants.ORIGINAL);

const encoder = new TextEncoder();
const decoder = new TextDecoder();
export const utf8 = (text: string): Uint8Array => encoder.encode(text);
/** The UTF-8 text of some bytes, e.g. an opened message's plaintext. */
export const text = (bytes: Uint8Array): string => decoder.decode(bytes);

/** Bytes as given, or the UTF-8 encoding of a string. */
export const bytesOf = (data: Uint8Array | string): Uint8Array => (typeof data === 'string' ? utf8(data) : data);

/** Bytes for fetch and Web Crypto, whose types want an ArrayBuffer-backed view (SharedArrayBuffer is not supported). */
export const bufferSource = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => bytes as Uint8Array<ArrayBuffer>;

/** Web Crypto's SubtleCrypto: browsers offer it only to secure contexts; say so rather than fail on `undefined`. */
export function subtle(): typeof crypto.subtle {
  if (globalThis.crypto?.subtle === undefined) throw new Error('Web Crypto is unavailable: in a browser, serve the app over https:// (or http://localhost)');
  return crypto.subtle;
}

/** SHA-256 in hex, through Web Crypto (the non-sumo libsodium build has no SHA-256). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await subtle().digest('SHA-256', bufferSource(bytes))));
}
