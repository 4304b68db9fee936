const BLOB_ID = /^[0-9a-f]{64}$/;

/** Blob ids are sha256 hex; anything else is refused, so no id can escape a directory or bucket. */
export function assertBlobId(id: string): void {
  if (!BLOB_ID.test(id)) throw new Error('invalid blob id');
}
