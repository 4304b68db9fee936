import { fromBase64, newGroupKey, toBase64 } from 'whispr-sdk';
import type { SealedRecords } from '../storage/sealed-records.js';

/** What the browser keeps of groups, sealed: every key version it held (the server keeps only the current one), and invite codes it was given. */
export type GroupRecord = { kind: 'key'; groupId: string; version: number; key: string } | { kind: 'invite'; groupId: string; code: string };

/**
 * The group keys and invite codes of one identity. Older key versions stay here so that history
 * written under them remains readable after a rotation; record ids are random, as the clear ids
 * of IndexedDB must not say which groups someone is in.
 */
export class GroupVault {
  private readonly keys = new Map<string, Map<number, Uint8Array>>();
  private readonly invites = new Map<string, { id: string; code: string }>();

  private constructor(private readonly records: SealedRecords<GroupRecord>) {}

  static async open(records: SealedRecords<GroupRecord>): Promise<GroupVault> {
    const vault = new GroupVault(records);
    for (const [id, record] of await records.all()) {
      if (record.kind === 'key') vault.versions(record.groupId).set(record.version, fromBase64(record.key));
      else vault.invites.set(record.groupId, { id, code: record.code });
    }
    return vault;
  }

  key(groupId: string, version: number): Uint8Array | undefined {
    return this.keys.get(groupId)?.get(version);
  }

  /** Keeps a key this member was given (or made); stored before it is used, so it is never lost to a reload. */
  async keep(groupId: string, version: number, key: Uint8Array): Promise<void> {
    if (this.key(groupId, version) !== undefined) return;
    this.versions(groupId).set(version, key);
    await this.records.put(`g:${crypto.randomUUID()}`, { kind: 'key', groupId, version, key: toBase64(key) });
  }

  /** The key an owner seals to the members at `version`: the one made before (a distribution cut short), else a new one. */
  async ownKey(groupId: string, version: number): Promise<Uint8Array> {
    const made = this.key(groupId, version);
    if (made !== undefined) return made;
    const key = newGroupKey();
    await this.keep(groupId, version, key);
    return key;
  }

  invite(groupId: string): string | undefined {
    return this.invites.get(groupId)?.code;
  }

  async keepInvite(groupId: string, code: string): Promise<void> {
    const id = this.invites.get(groupId)?.id ?? `g:${crypto.randomUUID()}`;
    this.invites.set(groupId, { id, code });
    await this.records.put(id, { kind: 'invite', groupId, code });
  }

  private versions(groupId: string): Map<number, Uint8Array> {
    const versions = this.keys.get(groupId) ?? new Map<number, Uint8Array>();
    this.keys.set(groupId, versions);
    return versions;
  }
}
