import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { createFileBlobStore } from '../../src/storage/file-blob-store.js';
import { useBackend } from './backends.js';
import { blobStoreContract } from './blob-store.contract.js';

describe('file blob store', () => {
  blobStoreContract(
    useBackend(async () => {
      const dir = mkdtempSync(join(tmpdir(), 'whispr-blobs-'));
      return {
        node: async () => createFileBlobStore(join(dir, 'blobs')),
        reset: async () => rmSync(join(dir, 'blobs'), { recursive: true, force: true }),
        close: async () => rmSync(dir, { recursive: true, force: true }),
      };
    }),
  );
});
