import type { Account } from '../features/accounts/index.js';

/** A row of phone_accounts as both SQL drivers select it (bytes as Buffers). */
export interface AccountRow {
  id: string;
  phone_hash: string;
  identity_key: Buffer;
  signed_prekey: Buffer;
  prekey_signature: Buffer;
}

export const ACCOUNT_COLUMNS = 'id, phone_hash, identity_key, signed_prekey, prekey_signature';

export const toAccount = (r: AccountRow): Account => ({
  id: r.id,
  phoneHash: r.phone_hash,
  identityKey: r.identity_key,
  signedPrekey: r.signed_prekey,
  prekeySignature: r.prekey_signature,
});

/** Thrown inside a registration's transaction so that the whole registration is rolled back. */
export class TooManyPrekeys extends Error {
  constructor(readonly unused: number) {
    super('too many unused one-time prekeys');
  }
}

/** Runs a registration, answering a rolled-back TooManyPrekeys as the store's 'too_many_prekeys' result. */
export const refusingTooManyPrekeys = <T>(registration: Promise<T>) =>
  registration.catch((err: unknown) => {
    if (err instanceof TooManyPrekeys) return { status: 'too_many_prekeys', unused: err.unused } as const;
    throw err;
  });
