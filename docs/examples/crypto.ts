import { generateIdentity, openSealed, seal, sign, text, verify } from 'whispr-sdk';

/** The primitives under the clients: libsodium sealed boxes (PyNaCl SealedBox compatible) and Ed25519 signatures. */
export function cryptoPrimitives(): { opened: string; genuine: boolean; forged: boolean } {
  const { encryption, signing } = generateIdentity();
  const sealed = seal(encryption.publicKey, 'for your key only');
  const signature = sign(signing, sealed);
  const forged = new Uint8Array(sealed);
  forged[0]! ^= 1;
  return {
    opened: text(openSealed(encryption, sealed)),
    genuine: verify(signing.publicKey, sealed, signature),
    forged: verify(signing.publicKey, forged, signature),
  };
}
