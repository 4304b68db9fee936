import { sodium } from './sodium.js';

// Attachment encryption: XChaCha20-Poly1305-IETF under a fresh random key per file, the random
// 24-byte nonce prepended. A key is never reused, so the random nonce is only belt and braces.

const NONCE_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;

/** How much larger an encrypted file is than the file (nonce and tag: 40 bytes), so a client can hold a file to the server's size limit. */
export const ENCRYPTED_FILE_OVERHEAD = NONCE_BYTES + sodium.crypto_aead_xchacha20poly1305_ietf_ABYTES;

/** Encrypts one file under a key made for it alone; returns both. */
export function encryptFile(bytes: Uint8Array): { key: Uint8Array; ciphertext: Uint8Array } {
  const key = sodium.crypto_aead_xchacha20poly1305_ietf_keygen();
  const nonce = sodium.randombytes_buf(NONCE_BYTES);
  const sealed = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(bytes, null, null, nonce, key);
  const ciphertext = new Uint8Array(NONCE_BYTES + sealed.length);
  ciphertext.set(nonce);
  ciphertext.set(sealed, NONCE_BYTES);
  return { key, ciphertext };
}

/** Throws when the key is wrong or the ciphertext was altered. */
export function decryptFile(key: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  if (ciphertext.length < NONCE_BYTES) throw new Error('encrypted file too short');
  return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, ciphertext.subarray(NONCE_BYTES), null, ciphertext.subarray(0, NONCE_BYTES), key);
}
