import { text } from './encoding.js';

/** An opened message's plaintext as a JSON object's fields, or undefined when it is not one (an ordinary message). */
export function plaintextObject(plaintext: Uint8Array): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text(plaintext));
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}
