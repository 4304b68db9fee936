// Wire shapes of the original attachment routes, imported by the server and by the SDK alike.

/** POST /upload: the original client's body; the signature covers the raw (as uploaded) bytes. */
export interface UploadBody {
  to: string;
  from_: string;
  enc_pub: string;
  /** The bytes, base64. */
  blob: string;
  signature: string;
  name?: string | null;
  size: number;
  /** SHA-256 of the bytes, hex: also the attachment id. */
  sha256: string;
}
