import { createHash } from 'node:crypto';
import type { UploadBody } from 'whispr-sdk/wire';
import { base64DecodedLength, decodeBase64, decodeHexKey } from '../../core/encoding.js';
import type { Ed25519Verifier } from '../../core/ed25519.js';
import { badRequest, notFound, tooLarge, tooMany } from '../../core/errors.js';
import { fileCharge } from '../../core/storage-charge.js';
import type { RateLimiter } from '../../rate-limit/rate-limiter.js';
import type { AnalyticsRecorder } from '../analytics/index.js';
import type { AttachmentGrant, AttachmentStore, BlobStore } from './attachment-store.js';
import type { KeyLocks } from '../../cluster/key-locks.js';

/** The original Whispr /upload body; the signature covers the raw file bytes. */
export type SignedUpload = UploadBody;

const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

export interface AttachmentServiceDeps {
  grants: AttachmentStore;
  blobs: BlobStore;
  /** Serializes storing and deleting one file (across nodes in a cluster). */
  locks: KeyLocks;
  verifier: Ed25519Verifier;
  senderLimiter: RateLimiter;
  maxBytes: number;
  /** Bytes of unexpired grants one sender may hold (AttachmentStore.senderBytes). */
  senderQuotaBytes: number;
  /** 0: attachments never expire. */
  ttlSeconds: number;
  now: () => number;
  analytics: AnalyticsRecorder;
}

/** Attachment rules: real size, signature, content hash, per-recipient access and expiry. */
export class AttachmentService {
  constructor(private readonly deps: AttachmentServiceDeps) {}

  async upload(input: SignedUpload): Promise<{ att_id: string }> {
    const { maxBytes, now } = this.deps;
    const to = decodeHexKey(input.to, 'to').toString('hex');
    const from = decodeHexKey(input.from_, 'from_');
    const encPub = decodeHexKey(input.enc_pub, 'enc_pub').toString('hex');
    if (input.size > maxBytes || base64DecodedLength(input.blob) > maxBytes) {
      throw tooLarge('ATTACHMENT_TOO_LARGE', `Attachment too large (at most ${maxBytes} bytes)`);
    }
    if (!SHA256_HEX.test(input.sha256)) throw badRequest('INVALID_ATTACHMENT_ID', 'Invalid attachment id: sha256 must be 64 hex characters');
    const bytes = decodeBase64(input.blob, 'blob');
    const signature = decodeBase64(input.signature, 'signature');
    if (!this.deps.verifier.verify(from, bytes, signature)) throw badRequest('SIGNATURE_INVALID', 'Invalid signature');
    if (bytes.length !== input.size) throw badRequest('SIZE_MISMATCH', `size says ${input.size} bytes but the blob has ${bytes.length}`);
    const attId = createHash('sha256').update(bytes).digest('hex');
    if (attId !== input.sha256.toLowerCase()) throw badRequest('SHA256_MISMATCH', 'sha256 mismatch');
    const rate = await this.deps.senderLimiter.consume(from.toString('hex'));
    if (!rate.allowed) throw tooMany('RATE_LIMITED', 'Rate limit exceeded', rate.retryAfter);
    const sender = from.toString('hex');
    // Checked, not reserved: uploads in flight at the same moment may pass the quota together.
    if ((await this.deps.grants.senderBytes(sender)) + fileCharge(bytes.length) > this.deps.senderQuotaBytes) {
      throw tooLarge('QUOTA_EXCEEDED', `Your attachments quota of ${this.deps.senderQuotaBytes} bytes is used up until older attachments expire`);
    }

    const at = now();
    await this.deps.locks.run(attId, async () => {
      await this.deps.blobs.put(attId, bytes);
      await this.deps.grants.grant({
        att_id: attId,
        recipient: to,
        sender,
        enc_pub: encPub,
        name: input.name ?? null,
        size: bytes.length,
        created_at: at,
        expires_at: this.deps.ttlSeconds > 0 ? at + this.deps.ttlSeconds : null,
      });
    });
    this.deps.analytics.attachment(bytes.length);
    return { att_id: attId };
  }

  /** The grant for this recipient; 404 alike for unknown, expired and someone else's attachment. */
  async find(attId: string, recipient: string): Promise<AttachmentGrant> {
    const key = decodeHexKey(recipient, 'recipient').toString('hex');
    const grant = SHA256_HEX.test(attId) ? await this.deps.grants.find(attId.toLowerCase(), key, this.deps.now()) : undefined;
    if (grant === undefined) throw notFound('NOT_FOUND', 'Not found');
    return grant;
  }

  async read(grant: AttachmentGrant): Promise<Buffer> {
    const bytes = await this.deps.blobs.get(grant.att_id);
    if (bytes === undefined) throw notFound('NOT_FOUND', 'Not found');
    return bytes;
  }

  async pathOf(grant: AttachmentGrant): Promise<string> {
    const path = await this.deps.blobs.pathOf(grant.att_id);
    if (path === undefined) throw notFound('NOT_FOUND', 'Not found');
    return path;
  }

  /** Removes expired grants and the files nobody may fetch any more; returns how many files went. */
  async purgeExpired(): Promise<number> {
    const orphaned = await this.deps.grants.purgeExpired(this.deps.now());
    let deleted = 0;
    for (const id of orphaned) {
      // Re-checked under the lock: the same bytes may have been uploaded again since the purge.
      await this.deps.locks.run(id, async () => {
        if (await this.deps.grants.isGranted(id)) return;
        await this.deps.blobs.delete(id);
        deleted += 1;
      });
    }
    return deleted;
  }
}
