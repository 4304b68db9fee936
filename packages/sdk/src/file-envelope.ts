import { plaintextObject } from './plaintext-json.js';
import { utf8 } from './encoding.js';

/**
 * What an encrypted file's message carries, inside the sealed box: everything needed to fetch,
 * decrypt and check the file. The server stores the ciphertext only, under no name.
 */
export interface FileEnvelope {
  type: 'file';
  attachment_id: string;
  /** The file's own XChaCha20-Poly1305 key, base64. */
  key: string;
  name: string;
  /** Plaintext size in bytes. */
  size: number;
  /** SHA-256 of the plaintext, hex. */
  sha256: string;
  mime?: string;
}

export const encodeFileEnvelope = (envelope: FileEnvelope): Uint8Array => utf8(JSON.stringify(envelope));

/** The file envelope in an opened message's plaintext, or undefined when it is an ordinary message. */
export function fileEnvelopeOf(plaintext: Uint8Array): FileEnvelope | undefined {
  const e = plaintextObject(plaintext);
  if (e === undefined) return undefined;
  const isFile =
    e.type === 'file' &&
    typeof e.attachment_id === 'string' &&
    typeof e.key === 'string' &&
    typeof e.name === 'string' &&
    typeof e.size === 'number' &&
    typeof e.sha256 === 'string' &&
    (e.mime === undefined || typeof e.mime === 'string');
  return isFile ? (e as unknown as FileEnvelope) : undefined;
}
