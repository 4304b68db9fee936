import { bytesOf, fromBase64, toBase64 } from './encoding.js';
import { sodium } from './sodium.js';

/** A fresh 32-byte group key. */
export const newGroupKey = (): Uint8Array => sodium.crypto_aead_chacha20poly1305_ietf_keygen();

/**
 * ChaCha20-Poly1305-IETF, no associated data, as the original client encrypts group messages
 * (libsodium crypto_aead_chacha20poly1305_ietf): ciphertext = ct ‖ tag, nonce = 12 random bytes.
 */
export function encryptForGroup(key: Uint8Array, plaintext: Uint8Array | string): { ciphertext: string; nonce: string } {
  const nonce = sodium.randombytes_buf(sodium.crypto_aead_chacha20poly1305_ietf_NPUBBYTES);
  const body = sodium.crypto_aead_chacha20poly1305_ietf_encrypt(bytesOf(plaintext), null, null, nonce, key);
  return { ciphertext: toBase64(body), nonce: toBase64(nonce) };
}

/** Throws when the key is wrong or the ciphertext was altered. */
export function decryptFromGroup(key: Uint8Array, ciphertext: string, nonce: string): Uint8Array {
  return sodium.crypto_aead_chacha20poly1305_ietf_decrypt(null, fromBase64(ciphertext), null, fromBase64(nonce), key);
}
