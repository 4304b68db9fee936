import { bufferSource, fromBase64, subtle, text, toBase64, utf8 } from './encoding.js';

/**
 * Room content is encrypted by the members under a key they derive from the room's passphrase:
 * PBKDF2-HMAC-SHA256 (Web Crypto) salted with the room id, so one passphrase gives every room its
 * own key, and AES-256-GCM with a random 96-bit IV. The wire form is the rooms protocol's
 * `encrypted` field: `base64(iv).base64(ciphertext and tag)`, standard base64 with padding.
 */
export const ROOM_KDF = { name: 'PBKDF2', hash: 'SHA-256', iterations: 600_000, saltPrefix: 'whispr-room:' } as const;

const IV_BYTES = 12;

/** A room's AES-GCM key (Web Crypto's CryptoKey, named so for both the DOM and Node typings). */
export type RoomKey = Awaited<ReturnType<typeof crypto.subtle.deriveKey>>;

/** What one room message carries, encrypted: the server sees none of it. */
export interface RoomContent {
  /** Chosen by the sender, so reactions can name a message its own sender knows (the server's id is not echoed back). */
  id: string;
  /** The sender's room user id and display name, as the sender claims them (every passphrase holder can write any). */
  from: string;
  name: string;
  text: string;
  /** The sender's clock, milliseconds since 1970. */
  at: number;
}

/** The AES-GCM key of `roomId` under `passphrase` (NFKC-normalized, so the same words typed on different systems agree). */
export async function deriveRoomKey(roomId: string, passphrase: string): Promise<RoomKey> {
  const material = await subtle().importKey('raw', bufferSource(utf8(passphrase.normalize('NFKC'))), 'PBKDF2', false, ['deriveKey']);
  return subtle().deriveKey(
    { name: ROOM_KDF.name, hash: ROOM_KDF.hash, iterations: ROOM_KDF.iterations, salt: bufferSource(utf8(`${ROOM_KDF.saltPrefix}${roomId}`)) },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

export async function encryptRoomContent(key: RoomKey, content: RoomContent): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv }, key, bufferSource(utf8(JSON.stringify(content)))));
  return `${toBase64(iv)}.${toBase64(sealed)}`;
}

const isContent = (value: unknown): value is RoomContent => {
  const c = value as Partial<RoomContent> | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.id === 'string' &&
    typeof c.from === 'string' &&
    typeof c.name === 'string' &&
    typeof c.text === 'string' &&
    typeof c.at === 'number'
  );
};

/** The content of an `encrypted` field, or undefined when it is not for this key (another passphrase) or not a message. */
export async function decryptRoomContent(key: RoomKey, encrypted: string): Promise<RoomContent | undefined> {
  try {
    const [iv, sealed, extra] = encrypted.split('.');
    if (iv === undefined || sealed === undefined || extra !== undefined) return undefined;
    const plain = await subtle().decrypt({ name: 'AES-GCM', iv: bufferSource(fromBase64(iv)) }, key, bufferSource(fromBase64(sealed)));
    const content: unknown = JSON.parse(text(new Uint8Array(plain)));
    return isContent(content) ? content : undefined;
  } catch {
    return undefined;
  }
}
