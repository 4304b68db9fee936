import { ENCRYPTED_FILE_OVERHEAD } from 'whispr-sdk';

/**
 * The largest file this server takes: its attachment_max_size_bytes, which the server writes into
 * the page it serves (kept by the service worker, so known offline too), less what encryption
 * adds. Undefined when the page does not say (then the server's refusal is the check).
 */
export function largestFile(): number | undefined {
  const limit = Number(document.querySelector<HTMLMetaElement>('meta[name="whispr:attachment-max-bytes"]')?.content);
  return Number.isSafeInteger(limit) && limit > ENCRYPTED_FILE_OVERHEAD ? limit - ENCRYPTED_FILE_OVERHEAD : undefined;
}
