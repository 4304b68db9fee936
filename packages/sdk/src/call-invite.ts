import { plaintextObject } from './plaintext-json.js';
import { fromBase64, toBase64, utf8 } from './encoding.js';
import { sodium } from './sodium.js';

/**
 * What a call invitation carries, inside a sealed and signed direct message: the /signal call to
 * join and the call's own key. Only the caller (who made the key) and the callee (who opened the
 * message) know the key, so a signal that opens under it comes from one of them, whatever the
 * server does.
 */
export interface CallInvite {
  type: 'call';
  /** The /signal room: random, so nobody else can guess it. */
  call_id: string;
  /** XChaCha20-Poly1305 key of this call's signals, base64 (32 bytes). */
  key: string;
  video: boolean;
  /** When the caller rang (ms since the epoch): an invitation found later in the queue is stale. */
  at: number;
}

const CALL_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/** A new invitation with a fresh call_id and key. */
export function newCallInvite(video: boolean, at = Date.now()): CallInvite {
  return {
    type: 'call',
    call_id: `call:${crypto.randomUUID()}`,
    key: toBase64(sodium.crypto_aead_xchacha20poly1305_ietf_keygen()),
    video,
    at,
  };
}

export const encodeCallInvite = (invite: CallInvite): Uint8Array => utf8(JSON.stringify(invite));

const isKey = (key: unknown): boolean => {
  try {
    return typeof key === 'string' && fromBase64(key).length === sodium.crypto_aead_xchacha20poly1305_ietf_KEYBYTES;
  } catch {
    return false;
  }
};

/** The call invitation in an opened message's plaintext, or undefined when it is an ordinary message. */
export function callInviteOf(plaintext: Uint8Array): CallInvite | undefined {
  const e = plaintextObject(plaintext);
  if (e === undefined) return undefined;
  const isInvite =
    e.type === 'call' && typeof e.call_id === 'string' && CALL_ID.test(e.call_id) && isKey(e.key) && typeof e.video === 'boolean' && Number.isFinite(e.at);
  return isInvite ? { type: 'call', call_id: e.call_id as string, key: e.key as string, video: e.video as boolean, at: e.at as number } : undefined;
}
