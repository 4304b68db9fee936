import { requireSodium } from '../core/sodium.js';
import type { KeyPair } from './keys.js';

/** libsodium crypto_box_seal: byte-compatible with PyNaCl's SealedBox (epk ‖ MAC ‖ ciphertext). */
export function seal(recipientPublicKey: Buffer, plaintext: Buffer | string): Buffer {
  const sodium = requireSodium('sealed boxes');
  const message = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
  const out = Buffer.alloc(message.length + sodium.crypto_box_SEALBYTES);
  sodium.crypto_box_seal(out, message, recipientPublicKey);
  return out;
}

/** Opens a sealed box addressed to `recipient`; throws if it was not. */
export function openSealed(recipient: KeyPair, ciphertext: Buffer): Buffer {
  const sodium = requireSodium('sealed boxes');
  if (ciphertext.length < sodium.crypto_box_SEALBYTES) throw new Error('sealed box too short');
  const out = Buffer.alloc(ciphertext.length - sodium.crypto_box_SEALBYTES);
  if (!sodium.crypto_box_seal_open(out, ciphertext, recipient.publicKey, recipient.secretKey)) throw new Error('sealed box does not open with this key');
  return out;
}

/** Ed25519 detached signature (64 bytes). */
export function sign(signing: KeyPair, message: Buffer): Buffer {
  const sodium = requireSodium('signing');
  const signature = Buffer.alloc(sodium.crypto_sign_BYTES);
  sodium.crypto_sign_detached(signature, message, signing.secretKey);
  return signature;
}

export function verify(publicKey: Buffer, message: Buffer, signature: Buffer): boolean {
  const sodium = requireSodium('signature checks');
  return (
    signature.length === sodium.crypto_sign_BYTES &&
    publicKey.length === sodium.crypto_sign_PUBLICKEYBYTES &&
    sodium.crypto_sign_verify_detached(signature, message, publicKey)
  );
}
