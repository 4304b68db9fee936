import type { Idb, StoreName } from './idb.js';
import type { Sealed, SealingKey } from './sealing-key.js';

/** Records (contacts, messages, the outbox; group keys) sealed one by one under the vault's key: IndexedDB holds only ciphertext. */
export class SealedRecords<T> {
  constructor(
    private readonly idb: Idb,
    private readonly key: SealingKey,
    private readonly store: Exclude<StoreName, 'vault'> = 'records',
  ) {}

  async put(id: string, value: T): Promise<void> {
    await this.idb.put(this.store, id, await this.key.seal(id, value));
  }

  async all(): Promise<Map<string, T>> {
    const opened = await Promise.all(
      (await this.idb.entries<Sealed>(this.store)).map(async ([id, sealed]) => [id, await this.key.open<T>(id, sealed)] as const),
    );
    return new Map(opened);
  }
}
