import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** A fresh 32-byte group key. */
export const newGroupKey = (): Buffer => randomBytes(KEY_BYTES);

/**
 * ChaCha20-Poly1305-IETF, no associated data, as the original client encrypts group messages
 * (libsodium crypto_aead_chacha20poly1305_ietf): ciphertext = ct ‖ tag, nonce = 12 random bytes.
 */
export function encryptForGroup(key: Buffer, plaintext: Buffer | string): { ciphertext: string; nonce: string } {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_BYTES });
  const body = Buffer.concat([cipher.update(typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext), cipher.final(), cipher.getAuthTag()]);
  return { ciphertext: body.toString('base64'), nonce: nonce.toString('base64') };
}

export function decryptFromGroup(key: Buffer, ciphertext: string, nonce: string): Buffer {
  const body = Buffer.from(ciphertext, 'base64');
  const decipher = createDecipheriv('chacha20-poly1305', key, Buffer.from(nonce, 'base64'), { authTagLength: TAG_BYTES });
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
  return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
}
