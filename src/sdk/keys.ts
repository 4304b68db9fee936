import { requireSodium } from '../core/sodium.js';

export interface KeyPair {
  publicKey: Buffer;
  secretKey: Buffer;
}

/** A Whispr identity: two unrelated keys, as the original client has. */
export interface Identity {
  /** X25519: the inbox address and sealed-box recipient. */
  encryption: KeyPair;
  /** Ed25519: signs every send. */
  signing: KeyPair;
}

export interface ExportedIdentity {
  encryption: { public_key: string; secret_key: string };
  signing: { public_key: string; secret_key: string };
}

export function generateIdentity(): Identity {
  const sodium = requireSodium('key generation');
  const encryption = { publicKey: Buffer.alloc(sodium.crypto_box_PUBLICKEYBYTES), secretKey: Buffer.alloc(sodium.crypto_box_SECRETKEYBYTES) };
  sodium.crypto_box_keypair(encryption.publicKey, encryption.secretKey);
  const signing = { publicKey: Buffer.alloc(sodium.crypto_sign_PUBLICKEYBYTES), secretKey: Buffer.alloc(sodium.crypto_sign_SECRETKEYBYTES) };
  sodium.crypto_sign_keypair(signing.publicKey, signing.secretKey);
  return { encryption, signing };
}

export function exportIdentity(identity: Identity): ExportedIdentity {
  const hex = (pair: KeyPair) => ({ public_key: pair.publicKey.toString('hex'), secret_key: pair.secretKey.toString('hex') });
  return { encryption: hex(identity.encryption), signing: hex(identity.signing) };
}

export function importIdentity(exported: ExportedIdentity): Identity {
  const pair = (p: { public_key: string; secret_key: string }) => ({
    publicKey: Buffer.from(p.public_key, 'hex'),
    secretKey: Buffer.from(p.secret_key, 'hex'),
  });
  return { encryption: pair(exported.encryption), signing: pair(exported.signing) };
}
