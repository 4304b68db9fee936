import type { AccountStore, ClaimedBundle, KeyOwner, Registration, RegisterResult } from '../../features/accounts/index.js';
import { ACCOUNT_COLUMNS, refusingTooManyPrekeys, toAccount, TooManyPrekeys, type AccountRow } from '../account-row.js';
import type { SqliteDatabase } from './sqlite-database.js';
import type { SqliteWriteBatcher } from './write-batcher.js';

export function createSqliteAccountStore(db: SqliteDatabase, writes: SqliteWriteBatcher): AccountStore {
  const byPhone = db.prepare<[string], AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM phone_accounts WHERE phone_hash = ?`);
  const byId = db.prepare<[string], AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM phone_accounts WHERE id = ?`);
  const upsertAccount = db.prepare<
    { id: string; phoneHash: string; identityKey: Buffer; signedPrekey: Buffer; prekeySignature: Buffer; now: number; anyone: number; owner: string | null },
    { id: string }
  >(
    `INSERT INTO phone_accounts (id, phone_hash, identity_key, signed_prekey, prekey_signature, created_at)
     VALUES (@id, @phoneHash, @identityKey, @signedPrekey, @prekeySignature, @now)
     ON CONFLICT (phone_hash) DO UPDATE SET identity_key = excluded.identity_key, signed_prekey = excluded.signed_prekey,
       prekey_signature = excluded.prekey_signature
     WHERE @anyone = 1 OR phone_accounts.id = @owner
     RETURNING id`,
  );
  const upsertPrekey = db.prepare(
    `INSERT INTO one_time_prekeys (user_id, key_id, public_key, created_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (user_id, key_id) DO UPDATE SET public_key = excluded.public_key, created_at = excluded.created_at, used_at = NULL`,
  );
  const countUnused = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM one_time_prekeys WHERE user_id = ? AND used_at IS NULL');
  const claimOldest = db.prepare<{ now: number; user: string }, { key_id: number; public_key: Buffer }>(
    `UPDATE one_time_prekeys SET used_at = @now
     WHERE user_id = @user AND key_id = (
       SELECT key_id FROM one_time_prekeys WHERE user_id = @user AND used_at IS NULL ORDER BY created_at, key_id LIMIT 1)
     RETURNING key_id, public_key`,
  );
  const insertUsedNonce = db.prepare('INSERT INTO account_auth_nonces (phone_hash, nonce, used, expires_at) VALUES (?, ?, 1, ?) ON CONFLICT DO NOTHING');
  const insertIssuedNonce = db.prepare('INSERT INTO account_auth_nonces (phone_hash, nonce, used, expires_at) VALUES (?, ?, 0, ?)');
  const redeemNonce = db.prepare('UPDATE account_auth_nonces SET used = 1 WHERE phone_hash = ? AND nonce = ? AND used = 0 AND expires_at > ?');
  const touchAccount = db.prepare('UPDATE phone_accounts SET last_seen = ? WHERE id = ?');
  const purgePrekeys = db.prepare('DELETE FROM one_time_prekeys WHERE used_at IS NOT NULL AND used_at <= ?');
  const purgeNonces = db.prepare('DELETE FROM account_auth_nonces WHERE expires_at <= ?');
  const countAccounts = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM phone_accounts');

  const registerOne = (r: Registration, newId: string, owner: KeyOwner, maxUnused: number, now: number): RegisterResult => {
    const row = upsertAccount.get({
      id: newId,
      phoneHash: r.phoneHash,
      identityKey: r.identityKey,
      signedPrekey: r.signedPrekey,
      prekeySignature: r.prekeySignature,
      now,
      anyone: owner.anyone ? 1 : 0,
      owner: owner.anyone ? null : (owner.userId ?? null),
    });
    // No row: the phone hash is someone else's account and the update's WHERE refused it.
    if (row === undefined) return { status: 'taken' };
    const userId = row.id;
    for (const p of r.oneTimePrekeys) upsertPrekey.run(userId, p.keyId, p.publicKey, now);
    const unused = countUnused.get(userId)?.n ?? 0;
    // Thrown so the savepoint rolls the whole registration back.
    if (unused > maxUnused) throw new TooManyPrekeys(unused);
    return { status: 'registered', userId };
  };

  return {
    register: (registration, newId, owner, maxUnused, now) => refusingTooManyPrekeys(writes.run(() => registerOne(registration, newId, owner, maxUnused, now))),
    findByPhoneHash: async (phoneHash) => {
      const row = byPhone.get(phoneHash);
      return row === undefined ? undefined : toAccount(row);
    },
    findById: async (id) => {
      const row = byId.get(id);
      return row === undefined ? undefined : toAccount(row);
    },
    claimBundle: (phoneHash, now) =>
      writes.run((): ClaimedBundle | undefined => {
        const row = byPhone.get(phoneHash);
        if (row === undefined) return undefined;
        const claimed = claimOldest.get({ now, user: row.id });
        return { ...toAccount(row), oneTimePrekey: claimed === undefined ? null : { keyId: claimed.key_id, publicKey: claimed.public_key } };
      }),
    unusedPrekeys: async (userId) => countUnused.get(userId)?.n ?? 0,
    useNonce: (phoneHash, nonce, expiresAt) => writes.run(() => insertUsedNonce.run(phoneHash, nonce, expiresAt).changes === 1),
    issueNonce: (phoneHash, nonce, expiresAt) => writes.run(() => void insertIssuedNonce.run(phoneHash, nonce, expiresAt)),
    redeemIssuedNonce: (phoneHash, nonce, now) => writes.run(() => redeemNonce.run(phoneHash, nonce, now).changes === 1),
    touch: (userId, now) => writes.run(() => void touchAccount.run(now, userId)),
    purgeUsedPrekeys: (usedBefore, now) =>
      writes.run(() => {
        purgeNonces.run(now);
        return purgePrekeys.run(usedBefore).changes;
      }),
    count: async () => countAccounts.get()?.n ?? 0,
  };
}
