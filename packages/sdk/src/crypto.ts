import { bytesOf } from './encoding.js';
import type { KeyPair } from './keys.js';
import { sodium } from './sodium.js';

/** libsodium crypto_box_seal: byte-compatible with PyNaCl's SealedBox (epk ‖ MAC ‖ ciphertext). */
export function seal(recipientPublicKey: Uint8Array, plaintext: Uint8Array | string): Uint8Array {
  return sodium.crypto_box_seal(bytesOf(plaintext), recipientPublicKey);
}

/** Opens a sealed box addressed to `recipient`; throws if it was not. */
export function openSealed(recipient: KeyPair, ciphertext: Uint8Array): Uint8Array {
  if (ciphertext.length < sodium.crypto_box_SEALBYTES) throw new Error('sealed box too short');
  try {
    return sodium.crypto_box_seal_open(ciphertext, recipient.publicKey, recipient.secretKey);
  } catch {
    throw new Error('sealed box does not open with this key');
  }
}

/** Ed25519 detached signature (64 bytes). */
export function sign(signing: KeyPair, message: Uint8Array | string): Uint8Array {
  return sodium.crypto_sign_detached(bytesOf(message), signing.secretKey);
}

export function verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  return (
    signature.length === sodium.crypto_sign_BYTES &&
    publicKey.length === sodium.crypto_sign_PUBLICKEYBYTES &&
    sodium.crypto_sign_verify_detached(signature, message, publicKey)
  );
}
