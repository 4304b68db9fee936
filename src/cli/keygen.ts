import { requireSodium } from '../core/sodium.js';

/** `whispr keygen` output: the JSON shape the SDK's importIdentity reads, keys in hex. */
export interface IdentityJson {
  encryption: { public_key: string; secret_key: string };
  signing: { public_key: string; secret_key: string };
}

/** A fresh Whispr identity (X25519 encryption key + Ed25519 signing key), made with the server's own sodium. */
export function generateIdentityJson(): IdentityJson {
  const sodium = requireSodium('key generation');
  const encryption = { publicKey: Buffer.alloc(sodium.crypto_box_PUBLICKEYBYTES), secretKey: Buffer.alloc(sodium.crypto_box_SECRETKEYBYTES) };
  sodium.crypto_box_keypair(encryption.publicKey, encryption.secretKey);
  const signing = { publicKey: Buffer.alloc(sodium.crypto_sign_PUBLICKEYBYTES), secretKey: Buffer.alloc(sodium.crypto_sign_SECRETKEYBYTES) };
  sodium.crypto_sign_keypair(signing.publicKey, signing.secretKey);
  const hex = (pair: { publicKey: Buffer; secretKey: Buffer }) => ({ public_key: pair.publicKey.toString('hex'), secret_key: pair.secretKey.toString('hex') });
  return { encryption: hex(encryption), signing: hex(signing) };
}
