import { type ExportedIdentity, exportIdentity, type Identity, importIdentity, openSealed, seal, sign, utf8, verify } from 'whispr-sdk';

/** The identity as `whispr keygen` prints it (keys in hex): what Export saves and Import reads. */
export const identityFileText = (identity: Identity): string => `${JSON.stringify(exportIdentity(identity), null, 2)}\n`;

const HEX_LENGTHS: Array<[keyof ExportedIdentity, 'public_key' | 'secret_key', number]> = [
  ['encryption', 'public_key', 64],
  ['encryption', 'secret_key', 64],
  ['signing', 'public_key', 64],
  ['signing', 'secret_key', 128],
];

/** Reads a `whispr keygen` file; throws a message a person can act on when it is not one, or its keys do not belong together. */
export function parseIdentityFile(content: string): Identity {
  let parsed: ExportedIdentity;
  try {
    parsed = JSON.parse(content) as ExportedIdentity;
  } catch {
    throw new Error('This file is not JSON: choose the file `whispr keygen` wrote or Export saved');
  }
  for (const [pair, part, length] of HEX_LENGTHS) {
    const value: unknown = parsed?.[pair]?.[part];
    if (typeof value !== 'string' || !new RegExp(`^[0-9a-f]{${length}}$`).test(value)) throw new Error(`This file has no valid ${pair}.${part}`);
  }
  const identity = importIdentity(parsed);
  // A probe sealed to the public key must open with the secret key, and a signature must verify.
  const probe = utf8('whispr identity check');
  try {
    openSealed(identity.encryption, seal(identity.encryption.publicKey, probe));
  } catch {
    throw new Error("This file's encryption keys do not belong together");
  }
  if (!verify(identity.signing.publicKey, probe, sign(identity.signing, probe))) throw new Error("This file's signing keys do not belong together");
  return identity;
}
