import { fromHex } from 'whispr-sdk';

/**
 * A safety-number style fingerprint of a public key: six groups of five digits from its SHA-256,
 * short enough to read aloud or compare side by side with what the other person's screen shows.
 */
export async function fingerprint(publicKeyHex: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(fromHex(publicKeyHex))));
  const groups: string[] = [];
  for (let start = 0; start < 30; start += 5) {
    const value = digest.slice(start, start + 5).reduce((n, byte) => n * 256 + byte, 0);
    groups.push(String(value % 100_000).padStart(5, '0'));
  }
  return groups.join(' ');
}

/** An X25519 public key in hex, as the SDK writes addresses. */
export const isAddress = (text: string): boolean => /^[0-9a-f]{64}$/.test(text);
