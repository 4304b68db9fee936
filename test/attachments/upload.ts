import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sign, type WhisprClient } from '../../src/sdk/index.js';

export interface UploadBody {
  to: string;
  from_: string;
  enc_pub: string;
  blob: string;
  signature: string;
  name?: string | null;
  size: number;
  sha256: string;
}

/** A correct /upload body, as the SDK would send it, for tests that then break one field. */
export function uploadBody(sender: WhisprClient, to: string, bytes: Buffer, name = 'file.bin'): UploadBody {
  return {
    to,
    from_: sender.signingKey,
    enc_pub: sender.address,
    blob: bytes.toString('base64'),
    signature: sign(sender.identity.signing, bytes).toString('base64'),
    name,
    size: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

export const sha256Hex = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

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
