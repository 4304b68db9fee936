/** The browser's IndexedDB, promised: one database; stores for the passphrase-sealed identity, and sealed records (direct messages; groups). */
export type StoreName = 'vault' | 'records' | 'group-records';

const STORES: StoreName[] = ['vault', 'records', 'group-records'];

const DATABASE = 'whispr-web';

const settled = <T>(request: IDBRequest<T>): Promise<T> =>
  new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

const committed = (transaction: IDBTransaction): Promise<void> =>
  new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error ?? new Error('IndexedDB transaction aborted'));
  });

export class Idb {
  private constructor(private readonly db: IDBDatabase) {}

  static async open(): Promise<Idb> {
    // Version 2 added 'group-records'; an upgrade creates only the stores a browser does not have yet.
    const request = indexedDB.open(DATABASE, 2);
    request.onupgradeneeded = () => {
      for (const store of STORES) if (!request.result.objectStoreNames.contains(store)) request.result.createObjectStore(store);
    };
    const db = await settled(request);
    // A newer build in another tab may need to upgrade: let go rather than block it (this tab is then out of date).
    db.onversionchange = () => db.close();
    return new Idb(db);
  }

  async get<T>(store: StoreName, key: string): Promise<T | undefined> {
    return (await settled(this.db.transaction(store).objectStore(store).get(key))) as T | undefined;
  }

  /** Resolves once the write is committed, so what the user saw acknowledged survives a reload. */
  put(store: StoreName, key: string, value: unknown): Promise<void> {
    const transaction = this.db.transaction(store, 'readwrite');
    transaction.objectStore(store).put(value, key);
    return committed(transaction);
  }

  /** Several writes, to any of the stores, in one transaction: all of them land, or none. */
  putAll(writes: ReadonlyArray<{ store: StoreName; key: string; value: unknown }>): Promise<void> {
    const transaction = this.db.transaction(STORES, 'readwrite');
    for (const { store, key, value } of writes) transaction.objectStore(store).put(value, key);
    return committed(transaction);
  }

  /** Every key with its value, read in one transaction. */
  async entries<T>(store: StoreName): Promise<Array<[string, T]>> {
    const objects = this.db.transaction(store).objectStore(store);
    const [keys, values] = await Promise.all([settled(objects.getAllKeys()), settled(objects.getAll())]);
    return keys.map((key, i) => [String(key), values[i] as T]);
  }
}
