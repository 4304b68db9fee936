import { createHash } from 'node:crypto';
import type { KeyLocks } from '../../cluster/key-locks.js';
import { notFound, tooLarge } from '../../core/errors.js';
import { fileCharge } from '../../core/storage-charge.js';
import type { BlobStore } from '../attachments/index.js';
import type { AnalyticsRecorder } from '../analytics/index.js';
import { GroupAccess } from './group-access.js';
import type { GroupQuotas } from './group-quotas.js';
import type { GroupStore } from './group-store.js';

/** Files shared in a group: stored by sha256, readable by members of the group they were shared in. */
export class GroupAttachmentService {
  private readonly access: GroupAccess;

  constructor(
    private readonly store: GroupStore,
    private readonly blobs: BlobStore,
    private readonly maxBytes: number,
    private readonly now: () => number,
    private readonly analytics: AnalyticsRecorder,
    /** Serializes storing and deleting one file (across nodes in a cluster). */
    private readonly lock: KeyLocks,
    private readonly quotas: GroupQuotas,
  ) {
    this.access = new GroupAccess(store);
  }

  async upload(actor: string, groupId: string, bytes: Buffer) {
    const { group } = await this.access.member(groupId, actor);
    if (bytes.length > this.maxBytes) throw tooLarge('ATTACHMENT_TOO_LARGE', `Attachment too large (at most ${this.maxBytes} bytes)`);
    await this.quotas.admitFile(group.id, actor, fileCharge(bytes.length));
    const id = createHash('sha256').update(bytes).digest('hex');
    await this.lock.run(id, async () => {
      await this.blobs.put(id, bytes);
      await this.store.putAttachment({ group_id: group.id, att_id: id, uploader: actor, size: bytes.length, created_at: this.now() });
    });
    this.analytics.groupAttachment(bytes.length);
    return { id, size: bytes.length };
  }

  /** The file path, for a member of the group the attachment was shared in; 404 for anything else. */
  async pathFor(actor: string, groupId: string, attId: string): Promise<{ path: string; size: number }> {
    const { group } = await this.access.member(groupId, actor);
    const attachment = /^[0-9a-f]{64}$/.test(attId) ? await this.store.getAttachment(group.id, attId) : undefined;
    const path = attachment === undefined ? undefined : await this.blobs.pathOf(attId);
    if (attachment === undefined || path === undefined) throw notFound('NOT_FOUND', 'Attachment not found in this group');
    return { path, size: attachment.size };
  }

  /** Deletes the files (of a deleted group, or past their retention) that no group still holds. */
  async release(attIds: readonly string[]): Promise<void> {
    for (const id of attIds) {
      await this.lock.run(id, async () => {
        if (!(await this.store.isAttachmentHeld(id))) await this.blobs.delete(id);
      });
    }
  }
}
