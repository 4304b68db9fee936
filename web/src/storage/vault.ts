import { scryptAsync } from '@noble/hashes/scrypt.js';
import { exportIdentity, type ExportedIdentity, type Identity, importIdentity } from 'whispr-sdk';
import type { Idb } from './idb.js';
import type { SealedStores } from './sealed-records.js';
import { type Sealed, SealingKey } from './sealing-key.js';

/**
 * scrypt (RFC 7914), a memory-hard KDF: the non-sumo libsodium.js the SDK ships has no
 * crypto_pwhash, so it comes from @noble/hashes, whose scrypt was in its 2022 Cure53 audit (its
 * argon2 was not). N = 2^17, r = 8: 128 MiB per guess, the cost OWASP recommends for scrypt.
 */
const SCRYPT = { N: 2 ** 17, r: 8, p: 1, dkLen: 32 } as const;

interface VaultRecord {
  version: 1;
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: Uint8Array<ArrayBuffer> };
  identity: Sealed;
}

/** An unlocked vault: the identity, and the key the rest of this browser's data is sealed under. */
export interface Unlocked {
  identity: Identity;
  key: SealingKey;
}

const VAULT_KEY = 'identity';

async function deriveKey(passphrase: string, kdf: VaultRecord['kdf']): Promise<SealingKey> {
  const bytes = new Uint8Array(await scryptAsync(passphrase.normalize('NFKC'), kdf.salt, { N: kdf.N, r: kdf.r, p: kdf.p, dkLen: SCRYPT.dkLen }));
  const key = await SealingKey.fromBytes(bytes);
  bytes.fill(0); // the key now lives only inside Web Crypto
  return key;
}

export const hasVault = async (idb: Idb): Promise<boolean> => (await idb.get('vault', VAULT_KEY)) !== undefined;

/** The identity sealed under a key derived from `passphrase` with a fresh salt. */
async function sealIdentity(passphrase: string, identity: Identity): Promise<{ record: VaultRecord; key: SealingKey }> {
  const kdf = { name: 'scrypt' as const, N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, salt: crypto.getRandomValues(new Uint8Array(16)) };
  const key = await deriveKey(passphrase, kdf);
  return { record: { version: 1, kdf, identity: await key.seal(VAULT_KEY, exportIdentity(identity)) }, key };
}

/** Seals a new or imported identity under a passphrase and keeps it in IndexedDB. */
export async function createVault(idb: Idb, passphrase: string, identity: Identity): Promise<Unlocked> {
  const { record, key } = await sealIdentity(passphrase, identity);
  await idb.put('vault', VAULT_KEY, record);
  return { identity, key };
}

/**
 * Checks the current passphrase, then seals the identity and every record under a key derived from
 * the new one (new salt), all in one transaction: a failure leaves everything under the old one.
 */
export async function changePassphrase(stores: SealedStores, current: string, next: string): Promise<void> {
  const { identity } = await unlockVault(stores.idb, current);
  const { record, key } = await sealIdentity(next, identity);
  await stores.rekey(key, { store: 'vault', key: VAULT_KEY, value: record });
}

/** Opens the stored identity; throws 'Wrong passphrase' when the key does not open it. */
export async function unlockVault(idb: Idb, passphrase: string): Promise<Unlocked> {
  const record = await idb.get<VaultRecord>('vault', VAULT_KEY);
  if (record === undefined) throw new Error('No identity is stored in this browser');
  const key = await deriveKey(passphrase, record.kdf);
  const exported = await key.open<ExportedIdentity>(VAULT_KEY, record.identity).catch(() => {
    throw new Error('Wrong passphrase');
  });
  return { identity: importIdentity(exported), key };
}
