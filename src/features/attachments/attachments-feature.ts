import { feature } from '../../app/feature.js';
import { AttachmentService } from './attachment-service.js';
import { attachmentHttp } from './whispr-http.js';

/** Direct-message attachments: signed /upload, /download for their recipient only, TTL cleanup. */
export const attachmentsFeature = feature({
  name: 'attachments',
  needs: [],
  options: (config) => ({
    maxBytes: config.attachment_max_size_bytes,
    ttlSeconds: config.attachment_ttl_seconds,
    senderQuotaBytes: config.key_attachments_quota_bytes,
  }),
  async register({ app, platform }, { maxBytes, ttlSeconds, senderQuotaBytes }) {
    const { storage, locks, verifier, senderLimiter, now, analytics, authorizer, ipLimit } = platform;
    const attachments = new AttachmentService({
      grants: storage.attachments,
      blobs: storage.blobs,
      locks,
      verifier,
      senderLimiter,
      maxBytes,
      ttlSeconds,
      senderQuotaBytes,
      now,
      analytics,
    });
    await app.register(attachmentHttp, { attachments, authorizer, ipLimit, maxBytes });
    return {
      stats: async () => ({ attachments: await storage.attachments.count() }),
      jobs: [{ name: 'attachments', run: () => attachments.purgeExpired() }],
    };
  },
});
