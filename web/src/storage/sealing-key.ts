/** A record as stored: AES-256-GCM ciphertext of its JSON, bound to its key in IndexedDB (the associated data). */
export interface Sealed {
  iv: Uint8Array<ArrayBuffer>;
  data: ArrayBuffer;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The key everything at rest is sealed under, derived from the passphrase (see vault.ts). A
 * non-extractable Web Crypto key: page scripts can use it but never read its bytes.
 */
export class SealingKey {
  constructor(private readonly key: CryptoKey) {}

  static async fromBytes(bytes: Uint8Array<ArrayBuffer>): Promise<SealingKey> {
    return new SealingKey(await crypto.subtle.importKey('raw', bytes, 'AES-GCM', false, ['encrypt', 'decrypt']));
  }

  /** `id` is authenticated with the value, so a record cannot be moved under another key unnoticed. */
  async seal(id: string, value: unknown): Promise<Sealed> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const data = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: encoder.encode(id) }, this.key, encoder.encode(JSON.stringify(value)));
    return { iv, data };
  }

  /** Throws when the key is wrong or the record was altered. */
  async open<T>(id: string, sealed: Sealed): Promise<T> {
    const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: sealed.iv, additionalData: encoder.encode(id) }, this.key, sealed.data);
    return JSON.parse(decoder.decode(plain)) as T;
  }
}
