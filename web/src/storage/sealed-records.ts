import type { Idb, StoreName } from './idb.js';
import type { Sealed, SealingKey } from './sealing-key.js';

/** The stores whose records are sealed under the vault's key. */
export type RecordStore = Exclude<StoreName, 'vault'>;
const RECORD_STORES: readonly RecordStore[] = ['records', 'group-records'];

/**
 * Every sealed store of one unlocked vault: the key they are sealed under, and one turn for all of
 * their writes, so a change of key never races a write under the old one.
 */
export class SealedStores {
  private last: Promise<unknown> = Promise.resolve();

  constructor(
    readonly idb: Idb,
    private key: SealingKey,
  ) {}

  /** The records of one store (contacts, messages, the outbox; group keys). */
  records<T>(store: RecordStore): SealedRecords<T> {
    return new SealedRecords<T>(this, store);
  }

  /** Runs `work` with the current key once every earlier write is done. */
  inTurn<R>(work: (key: SealingKey) => Promise<R>): Promise<R> {
    const done = this.last.then(() => work(this.key));
    this.last = done.catch(() => undefined); // a failed write does not block the next
    return done;
  }

  /** The current key, for reads (a read under a key being replaced opens what was written under it). */
  get current(): SealingKey {
    return this.key;
  }

  /**
   * Seals every record of every store again under `next`, written in one transaction with
   * `alongside` (the vault sealed under the same key); later writes use `next`.
   */
  rekey(next: SealingKey, alongside: { store: StoreName; key: string; value: unknown }): Promise<void> {
    return this.inTurn(async (key) => {
      const resealed = await Promise.all(
        RECORD_STORES.map(async (store) =>
          Promise.all(
            (await this.idb.entries<Sealed>(store)).map(async ([id, sealed]) => ({ store, key: id, value: await next.seal(id, await key.open(id, sealed)) })),
          ),
        ),
      );
      await this.idb.putAll([...resealed.flat(), alongside]);
      this.key = next;
    });
  }
}

/** Records of one store sealed one by one under the vault's key: IndexedDB holds only ciphertext. */
export class SealedRecords<T> {
  constructor(
    readonly stores: SealedStores,
    private readonly store: RecordStore,
  ) {}

  put(id: string, value: T): Promise<void> {
    return this.stores.inTurn(async (key) => this.stores.idb.put(this.store, id, await key.seal(id, value)));
  }

  async all(): Promise<Map<string, T>> {
    const key = this.stores.current;
    const opened = await Promise.all(
      (await this.stores.idb.entries<Sealed>(this.store)).map(async ([id, sealed]) => [id, await key.open<T>(id, sealed)] as const),
    );
    return new Map(opened);
  }
}
