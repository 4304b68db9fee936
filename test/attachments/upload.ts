import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { UploadBody, WhisprClient } from 'whispr-sdk';

export type { UploadBody };

/** A correct /upload body, as the SDK sends it, for tests that then break one field. */
export const uploadBody = (sender: WhisprClient, to: string, bytes: Uint8Array, name = 'file.bin'): Promise<UploadBody> => sender.buildUpload(to, bytes, name);

export const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Where the server keeps an attachment's bytes. */
export const blobPath = (dataDir: string, attId: string) => join(dataDir, 'attachments', attId.slice(0, 2), `${attId}.bin`);

/** Every file (final or temporary) under <dataDir>/attachments. */
export function storedFiles(dataDir: string): string[] {
  const root = join(dataDir, 'attachments');
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}
