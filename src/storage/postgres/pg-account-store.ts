import type { AccountStore, ClaimedBundle, KeyOwner, Registration, RegisterResult } from '../../features/accounts/index.js';
import { ACCOUNT_COLUMNS, refusingTooManyPrekeys, toAccount, TooManyPrekeys, type AccountRow } from '../account-row.js';
import { anyRow, countOf, type PgDatabase, type PgQueryable } from './pg-database.js';

interface BundleRow extends AccountRow {
  key_id: number | null;
  public_key: Buffer | null;
}

/**
 * Private-comm accounts on PostgreSQL, safe with any number of nodes on one database. Registering
 * one phone hash twice at once serializes on that account's row (the upsert locks it), so the
 * unused-prekey cap holds; claimBundle locks the prekey it takes with SKIP LOCKED, so concurrent
 * fetches from any nodes never get the same one-time prekey and never wait for each other.
 */
export function createPgAccountStore(db: PgDatabase): AccountStore {
  const one = async <R>(sql: string, params: readonly unknown[]): Promise<R | undefined> => (await db.query<R>(sql, params))[0];
  const unused = (q: PgQueryable, userId: string) => countOf(q, 'SELECT count(*) AS n FROM one_time_prekeys WHERE user_id = $1 AND used_at IS NULL', [userId]);
  const account = async (column: 'phone_hash' | 'id', value: string) => {
    const row = await one<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM phone_accounts WHERE ${column} = $1`, [value]);
    return row === undefined ? undefined : toAccount(row);
  };

  const registerIn = async (tx: PgQueryable, r: Registration, newId: string, owner: KeyOwner, maxUnused: number, now: number): Promise<RegisterResult> => {
    const [row] = await tx.query<{ id: string }>(
      `INSERT INTO phone_accounts (id, phone_hash, identity_key, signed_prekey, prekey_signature, created_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (phone_hash) DO UPDATE SET identity_key = excluded.identity_key, signed_prekey = excluded.signed_prekey,
         prekey_signature = excluded.prekey_signature
       WHERE $7 OR phone_accounts.id = $8
       RETURNING id`,
      [newId, r.phoneHash, r.identityKey, r.signedPrekey, r.prekeySignature, now, owner.anyone, owner.anyone ? null : (owner.userId ?? null)],
    );
    // No row: the phone hash is someone else's account and the update's WHERE refused it.
    if (row === undefined) return { status: 'taken' };
    // One statement for all prekeys; a key id given twice counts once, with its last key (as upserting one by one would).
    const prekeys = new Map(r.oneTimePrekeys.map((p) => [p.keyId, p.publicKey]));
    await tx.query(
      `INSERT INTO one_time_prekeys (user_id, key_id, public_key, created_at)
       SELECT $1, key_id, public_key, $4 FROM unnest($2::bigint[], $3::bytea[]) AS p (key_id, public_key)
       ON CONFLICT (user_id, key_id) DO UPDATE SET public_key = excluded.public_key, created_at = excluded.created_at, used_at = NULL`,
      [row.id, [...prekeys.keys()], [...prekeys.values()], now],
    );
    const count = await unused(tx, row.id);
    if (count > maxUnused) throw new TooManyPrekeys(count); // rolls the whole registration back
    return { status: 'registered', userId: row.id };
  };

  return {
    register: (registration, newId, owner, maxUnused, now) =>
      refusingTooManyPrekeys(db.transaction((tx) => registerIn(tx, registration, newId, owner, maxUnused, now))),
    findByPhoneHash: (phoneHash) => account('phone_hash', phoneHash),
    findById: (id) => account('id', id),
    async claimBundle(phoneHash, now): Promise<ClaimedBundle | undefined> {
      // The subquery runs once: it locks the oldest unused prekey that no other claim holds right now.
      const row = await one<BundleRow>(
        `WITH account AS (SELECT ${ACCOUNT_COLUMNS} FROM phone_accounts WHERE phone_hash = $1),
         claimed AS (
           UPDATE one_time_prekeys SET used_at = $2
           WHERE (user_id, key_id) = (
             SELECT user_id, key_id FROM one_time_prekeys WHERE user_id = (SELECT id FROM account) AND used_at IS NULL
             ORDER BY created_at, key_id LIMIT 1 FOR UPDATE SKIP LOCKED)
           RETURNING key_id, public_key)
         SELECT account.*, claimed.key_id, claimed.public_key FROM account LEFT JOIN claimed ON true`,
        [phoneHash, now],
      );
      if (row === undefined) return undefined;
      const oneTimePrekey = row.key_id === null || row.public_key === null ? null : { keyId: row.key_id, publicKey: row.public_key };
      return { ...toAccount(row), oneTimePrekey };
    },
    unusedPrekeys: (userId) => unused(db, userId),
    useNonce: (phoneHash, nonce, expiresAt) =>
      anyRow(db, 'INSERT INTO account_auth_nonces (phone_hash, nonce, used, expires_at) VALUES ($1, $2, true, $3) ON CONFLICT DO NOTHING RETURNING 1', [
        phoneHash,
        nonce,
        expiresAt,
      ]),
    async issueNonce(phoneHash, nonce, expiresAt) {
      await db.query('INSERT INTO account_auth_nonces (phone_hash, nonce, used, expires_at) VALUES ($1, $2, false, $3)', [phoneHash, nonce, expiresAt]);
    },
    redeemIssuedNonce: (phoneHash, nonce, now) =>
      anyRow(db, 'UPDATE account_auth_nonces SET used = true WHERE phone_hash = $1 AND nonce = $2 AND NOT used AND expires_at > $3 RETURNING 1', [
        phoneHash,
        nonce,
        now,
      ]),
    async touch(userId, now) {
      await db.query('UPDATE phone_accounts SET last_seen = $2 WHERE id = $1', [userId, now]);
    },
    purgeUsedPrekeys: (usedBefore, now) =>
      countOf(
        db,
        `WITH nonces AS (DELETE FROM account_auth_nonces WHERE expires_at <= $2),
              prekeys AS (DELETE FROM one_time_prekeys WHERE used_at IS NOT NULL AND used_at <= $1 RETURNING 1)
         SELECT count(*) AS n FROM prekeys`,
        [usedBefore, now],
      ),
    count: () => countOf(db, 'SELECT count(*) AS n FROM phone_accounts'),
  };
}
