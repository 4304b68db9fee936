import { tooLarge } from '../../core/errors.js';
import { MESSAGE_ROW_BYTES } from '../../core/storage-charge.js';
import type { GroupStore, StorageUsage } from './group-store.js';

/** A message is charged its stored text (ciphertext and attachment_meta) plus its row. */
export const messageCost = (ciphertext: string, attachmentMeta: string | null) => ciphertext.length + (attachmentMeta?.length ?? 0) + MESSAGE_ROW_BYTES;

/** Byte quotas of group storage, per group and per key over all its groups. */
export interface GroupStorageQuotas {
  groupHistoryBytes: number;
  groupFilesBytes: number;
  keyHistoryBytes: number;
  keyFilesBytes: number;
}

type Kind = keyof StorageUsage;
type Usage = { group: StorageUsage; key: StorageUsage };

/**
 * Refuses a write that would take a group or its writer past a quota (413 QUOTA_EXCEEDED). The
 * usage is one counter row each, kept by the database with every write and delete; two writes
 * checked at the same moment may both pass, so a quota can be passed by what is in flight at once.
 */
export class GroupQuotas {
  constructor(
    private readonly store: GroupStore,
    private readonly quotas: GroupStorageQuotas,
  ) {}

  /** A message of `cost` bytes beside what the group and its writer hold (read with the rest of a send). */
  admitMessageBeside(usage: Usage, cost: number): void {
    this.check(usage, 'message_bytes', cost, this.quotas.groupHistoryBytes, this.quotas.keyHistoryBytes);
  }

  admitFile(groupId: string, actor: string, cost: number): Promise<void> {
    return this.admit(groupId, actor, 'file_bytes', cost, this.quotas.groupFilesBytes, this.quotas.keyFilesBytes);
  }

  private async admit(groupId: string, actor: string, kind: Kind, cost: number, groupQuota: number, keyQuota: number): Promise<void> {
    this.check(await this.store.usage(groupId, actor), kind, cost, groupQuota, keyQuota);
  }

  private check(usage: Usage, kind: Kind, cost: number, groupQuota: number, keyQuota: number): void {
    const what = kind === 'message_bytes' ? 'message history' : 'files';
    if (usage.group[kind] + cost > groupQuota) throw tooLarge('QUOTA_EXCEEDED', `The group's ${what} quota of ${groupQuota} bytes is used up`);
    if (usage.key[kind] + cost > keyQuota) throw tooLarge('QUOTA_EXCEEDED', `Your ${what} quota of ${keyQuota} bytes over all groups is used up`);
  }
}
