import { fromBase64, sha256Hex, toBase64 } from './encoding.js';
import { decryptFile, encryptFile } from './file-crypto.js';
import type { FileEnvelope } from './file-envelope.js';

export interface ReceivedFile {
  bytes: Uint8Array;
  name: string;
  mime: string | undefined;
}

/**
 * Encrypts a file under a key made for it alone, hands the ciphertext to `store` (an upload that
 * answers the stored id) and returns the envelope a message carries to whoever may read it.
 */
export async function storeEncryptedFile(
  bytes: Uint8Array,
  name: string,
  mime: string | undefined,
  store: (ciphertext: Uint8Array) => Promise<string>,
): Promise<FileEnvelope> {
  const { key, ciphertext } = encryptFile(bytes);
  return {
    type: 'file',
    attachment_id: await store(ciphertext),
    key: toBase64(key),
    name,
    size: bytes.length,
    sha256: await sha256Hex(bytes),
    ...(mime === undefined ? {} : { mime }),
  };
}

/** The file an envelope points at, decrypted from its stored ciphertext; throws if it does not match the envelope. */
export async function openEncryptedFile(envelope: FileEnvelope, ciphertext: Uint8Array): Promise<ReceivedFile> {
  const bytes = decryptFile(fromBase64(envelope.key), ciphertext);
  if (bytes.length !== envelope.size || (await sha256Hex(bytes)) !== envelope.sha256) throw new Error('file does not match its envelope');
  return { bytes, name: envelope.name, mime: envelope.mime };
}
