import { fromHex, toHex } from './encoding.js';
import { sodium } from './sodium.js';

export interface KeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
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

/** A fresh X25519 key pair (sealed-box recipient, X3DH prekey). */
export function x25519KeyPair(): KeyPair {
  const { publicKey, privateKey } = sodium.crypto_box_keypair();
  return { publicKey, secretKey: privateKey };
}

export function generateIdentity(): Identity {
  const signing = sodium.crypto_sign_keypair();
  return { encryption: x25519KeyPair(), signing: { publicKey: signing.publicKey, secretKey: signing.privateKey } };
}

export function exportIdentity(identity: Identity): ExportedIdentity {
  const hex = (pair: KeyPair) => ({ public_key: toHex(pair.publicKey), secret_key: toHex(pair.secretKey) });
  return { encryption: hex(identity.encryption), signing: hex(identity.signing) };
}

export function importIdentity(exported: ExportedIdentity): Identity {
  const pair = (p: { public_key: string; secret_key: string }) => ({ publicKey: fromHex(p.public_key), secretKey: fromHex(p.secret_key) });
  return { encryption: pair(exported.encryption), signing: pair(exported.signing) };
}
