// The subset of sodium-native 5 that Whispr uses (the package ships no types).
declare module 'sodium-native' {
  export const crypto_sign_PUBLICKEYBYTES: number;
  export const crypto_sign_SECRETKEYBYTES: number;
  export const crypto_sign_BYTES: number;
  export const crypto_box_PUBLICKEYBYTES: number;
  export const crypto_box_SECRETKEYBYTES: number;
  export const crypto_box_SEALBYTES: number;
  export function crypto_sign_keypair(pk: Buffer, sk: Buffer): void;
  export function crypto_sign_seed_keypair(pk: Buffer, sk: Buffer, seed: Buffer): void;
  export function crypto_sign_detached(sig: Buffer, message: Buffer, sk: Buffer): void;
  export function crypto_sign_verify_detached(sig: Buffer, message: Buffer, pk: Buffer): boolean;
  export function crypto_box_keypair(pk: Buffer, sk: Buffer): void;
  export function crypto_box_seal(ciphertext: Buffer, message: Buffer, pk: Buffer): void;
  export function crypto_box_seal_open(message: Buffer, ciphertext: Buffer, pk: Buffer, sk: Buffer): boolean;
  export function randombytes_buf(buf: Buffer): void;
}
