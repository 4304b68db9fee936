import type { Idb, StoreName } from './idb.js';
import type { Sealed, SealingKey } from './sealing-key.js';

/**
 * Records (contacts, messages, the outbox) sealed one by one under the vault's key: IndexedDB holds
 * only ciphertext. Writes run one at a time, so a change of key never races a write under the old one.
 */
export class SealedRecords<T> {
  private last: Promise<unknown> = Promise.resolve();

  constructor(
    readonly idb: Idb,
    private key: SealingKey,
  ) {}

  put(id: string, value: T): Promise<void> {
    return this.inTurn(async () => this.idb.put('records', id, await this.key.seal(id, value)));
  }

  async all(): Promise<Map<string, T>> {
    const opened = await Promise.all(
      (await this.idb.entries<Sealed>('records')).map(async ([id, sealed]) => [id, await this.key.open<T>(id, sealed)] as const),
    );
    return new Map(opened);
  }

  /** Seals every record again under `next`, written in one transaction with `alongside` (the vault sealed under the same key); later writes use `next`. */
  rekey(next: SealingKey, alongside: { store: StoreName; key: string; value: unknown }): Promise<void> {
    return this.inTurn(async () => {
      const resealed = await Promise.all(
        [...(await this.all())].map(async ([key, value]) => ({ store: 'records' as const, key, value: await next.seal(key, value) })),
      );
      await this.idb.putAll([...resealed, alongside]);
      this.key = next;
    });
  }

  private inTurn(write: () => Promise<void>): Promise<void> {
    const done = this.last.then(write);
    this.last = done.catch(() => undefined); // a failed write does not block the next
    return done;
  }
}
