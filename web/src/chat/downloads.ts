import type { FileEnvelope, WhisprClient } from 'whispr-sdk';

/** The types shown inline: raster images only (an SVG is a document that could carry script). */
export const PREVIEWABLE = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

/**
 * Received files, fetched, decrypted and checked (size, SHA-256) by the SDK once per session and
 * kept as blob: URLs, which the preview and the download share. Only previewable images keep their
 * type; anything else is plain bytes, so no browser renders it as a page of this origin.
 */
export class Downloads {
  private readonly urls = new Map<string, Promise<string>>();
  private readonly ready = new Map<string, string>();

  constructor(private readonly client: WhisprClient) {}

  /** The URL already made for this file, if any: a redraw shows the preview at once. */
  made(envelope: FileEnvelope): string | undefined {
    return this.ready.get(envelope.attachment_id);
  }

  /** Fetches once; after a failure (offline, expired) it fails again without fetching, unless `again` (a click on Download). */
  url(envelope: FileEnvelope, again = false): Promise<string> {
    const id = envelope.attachment_id;
    if (again && !this.ready.has(id)) this.urls.delete(id);
    let url = this.urls.get(id);
    if (url === undefined) {
      const type = envelope.mime !== undefined && PREVIEWABLE.has(envelope.mime) ? envelope.mime : 'application/octet-stream';
      url = this.client.downloadFile(envelope).then((file) => {
        const made = URL.createObjectURL(new Blob([file.bytes as Uint8Array<ArrayBuffer>], { type }));
        this.ready.set(id, made);
        return made;
      });
      this.urls.set(id, url);
    }
    return url;
  }

  /** Releases the decrypted files (at sign-out). */
  clear(): void {
    for (const url of this.ready.values()) URL.revokeObjectURL(url);
    this.ready.clear();
    this.urls.clear();
  }
}
