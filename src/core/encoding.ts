import { badRequest } from './errors.js';

const HEX_KEY = /^[0-9a-fA-F]{64}$/;
// Standard alphabet with padding, as Python's base64.b64encode writes it.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** JSON-schema pattern for a 32-byte key in hex (the wire form of every Whispr key). */
export const HEX_KEY_PATTERN = HEX_KEY.source;
export const BASE64_PATTERN = BASE64.source;

export function isHexKey(value: string): boolean {
  return HEX_KEY.test(value);
}

/** Decodes a 32-byte hex key, or answers 400 naming the field. */
export function decodeHexKey(value: string, field: string): Buffer {
  if (!HEX_KEY.test(value)) throw badRequest('INVALID_KEY', `${field} must be a 32-byte key in hex (64 characters)`);
  return Buffer.from(value, 'hex');
}

/** Decodes strict standard base64 (Node's decoder silently skips bad characters, so check first). */
export function decodeBase64(value: string, field: string): Buffer {
  if (!BASE64.test(value)) throw badRequest('INVALID_BASE64', `${field} must be standard base64 with padding`);
  return Buffer.from(value, 'base64');
}

/** Decoded length of a well-formed base64 string, without decoding it. */
export function base64DecodedLength(value: string): number {
  const padding = value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0;
  return (value.length / 4) * 3 - padding;
}

/** Largest base64 text that can carry `bytes` bytes. */
export function base64LengthFor(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}
