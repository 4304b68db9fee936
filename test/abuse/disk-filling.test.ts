// Attack (issue 15 #2): a free key writes group messages and files, or direct-message attachments,
// as fast as it can to fill the disk. Byte quotas per key (over all its groups) and per group, and
// per sender for direct-message attachments, answer 413 QUOTA_EXCEEDED; a
// bystander, another key from another address, still writes, and nothing stored is lost. The
// quotas are small here so the attack ends quickly; their figures come from the settings.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { fileCharge } from '../../src/core/storage-charge.js';
import { messageCost } from '../../src/features/groups/group-quotas.js';
import { type GroupClient, newGroupKey, WhisprError } from 'whispr-sdk';
import { useGroupServer } from '../groups/group-kit.js';
import { fromAddress } from './source-address.js';

const KEY_HISTORY = 16_000;
const GROUP_HISTORY = 24_000;
const KEY_FILES = 30_000;
const GROUP_FILES = 45_000;
const KEY_ATTACHMENTS = 30_000;
const TEXT = 'x'.repeat(1000);
const FILE = 5000;

const { kit, user } = useGroupServer({
  key_group_history_quota_bytes: KEY_HISTORY,
  group_history_quota_bytes: GROUP_HISTORY,
  key_group_files_quota_bytes: KEY_FILES,
  group_files_quota_bytes: GROUP_FILES,
  key_attachments_quota_bytes: KEY_ATTACHMENTS,
});
const BYSTANDER_ADDRESS = '127.0.0.2';

/** A group of `owner` with its #general channel and key v1 distributed. */
async function groupOf(owner: GroupClient) {
  const { id, invite_code } = await owner.create('quota');
  const general = (await owner.listChannels(id)).channels[0]!.id;
  const key = newGroupKey();
  await owner.distributeKey(id, key, 1);
  return { id, invite_code, general, key };
}
type Grp = Awaited<ReturnType<typeof groupOf>>;

/** Writes until the server refuses; returns what was accepted and the refusal. */
async function untilRefused<T>(write: () => Promise<T>, atMost = 100): Promise<{ accepted: T[]; refusal: WhisprError }> {
  const accepted: T[] = [];
  for (let i = 0; i < atMost; i += 1) {
    try {
      accepted.push(await write());
    } catch (err) {
      if (err instanceof WhisprError) return { accepted, refusal: err };
      throw err;
    }
  }
  throw new Error(`no refusal after ${atMost} writes`);
}

const send = (g: GroupClient, grp: Grp) => g.send(grp.id, grp.general, grp.key, 1, TEXT);
const history = async (g: GroupClient, grp: Grp) => (await g.fetch(grp.id, grp.general, { limit: 1000 })).messages;
const groupFiles = () => {
  const root = join(kit.s.dataDir, 'group-attachments');
  return existsSync(root) ? readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length : 0;
};

describe('group history', () => {
  test('one key fills its quota in a shared group: 413 QUOTA_EXCEEDED, the bystander still writes there, nothing is lost', async () => {
    const owner = user();
    const attacker = user();
    const grp = await groupOf(owner.g);
    await attacker.g.join({ invite_code: grp.invite_code });

    const { accepted, refusal } = await untilRefused(() => send(attacker.g, grp));
    expect({ status: refusal.status, code: refusal.errorCode }).toEqual({ status: 413, code: 'QUOTA_EXCEEDED' });
    const stored = await history(owner.g, grp);
    const cost = messageCost(stored[0]!.ciphertext, null);
    expect(accepted).toHaveLength(Math.floor(KEY_HISTORY / cost));

    // A new group gives the key no more room.
    const own = await groupOf(attacker.g);
    await expect(send(attacker.g, own)).rejects.toMatchObject({ status: 413, errorCode: 'QUOTA_EXCEEDED' });

    // The owner, from another address, still posts in the same group, and every message is there.
    const posted = await fromAddress(BYSTANDER_ADDRESS, () => send(owner.g, grp));
    const after = await history(owner.g, grp);
    expect(after.map((m) => m.id)).toEqual([...accepted.map((m) => m.id), posted.id]);
    expect(after.map((m) => owner.g.decrypt(m, grp.key))).toEqual(after.map(() => TEXT));
  });

  test('several keys fill one group: its quota answers 413 there, another group still takes messages', async () => {
    const attackers = [user(), user()];
    const grp = await groupOf(attackers[0]!.g);
    await attackers[1]!.g.join({ invite_code: grp.invite_code });
    const first = await untilRefused(() => send(attackers[0]!.g, grp));
    const second = await untilRefused(() => send(attackers[1]!.g, grp));
    expect(second.refusal).toMatchObject({ status: 413, errorCode: 'QUOTA_EXCEEDED', detail: expect.stringContaining("group's message history") });
    const stored = await history(attackers[0]!.g, grp);
    const cost = messageCost(stored[0]!.ciphertext, null);
    expect(stored).toHaveLength(first.accepted.length + second.accepted.length);
    expect(stored.length * cost).toBeLessThanOrEqual(GROUP_HISTORY);
    expect((stored.length + 1) * cost).toBeGreaterThan(GROUP_HISTORY);

    const bystander = user();
    const other = await fromAddress(BYSTANDER_ADDRESS, () => groupOf(bystander.g));
    await fromAddress(BYSTANDER_ADDRESS, () => send(bystander.g, other));
    expect(await history(bystander.g, other)).toHaveLength(1);
  });
});

describe('group files', () => {
  test('a key uploads until its quota and a group until its own: 413 QUOTA_EXCEEDED, every stored file still downloads', async () => {
    const attackers = [user(), user()];
    const grp = await groupOf(attackers[0]!.g);
    await attackers[1]!.g.join({ invite_code: grp.invite_code });
    const upload = (g: GroupClient) => async () => {
      const bytes = randomBytes(FILE);
      return { bytes, id: (await g.upload(grp.id, bytes)).id };
    };
    const first = await untilRefused(upload(attackers[0]!.g));
    expect(first.refusal).toMatchObject({ status: 413, errorCode: 'QUOTA_EXCEEDED', detail: expect.stringContaining('over all groups') });
    expect(first.accepted).toHaveLength(Math.floor(KEY_FILES / fileCharge(FILE)));
    const second = await untilRefused(upload(attackers[1]!.g));
    expect(second.refusal).toMatchObject({ status: 413, errorCode: 'QUOTA_EXCEEDED', detail: expect.stringContaining("group's files") });
    const stored = [...first.accepted, ...second.accepted];
    expect(stored).toHaveLength(Math.floor(GROUP_FILES / fileCharge(FILE)));
    expect(groupFiles()).toBe(stored.length);
    for (const file of stored) expect(Buffer.from(await attackers[1]!.g.download(grp.id, file.id)).equals(file.bytes)).toBe(true);

    // The bystander's group, from another address, still takes a file.
    const bystander = user();
    await fromAddress(BYSTANDER_ADDRESS, async () => {
      const own = await groupOf(bystander.g);
      const bytes = randomBytes(FILE);
      const { id } = await bystander.g.upload(own.id, bytes);
      expect(Buffer.from(await bystander.g.download(own.id, id)).equals(bytes)).toBe(true);
    });
  });
});

describe('direct-message attachments', () => {
  test('a sender uploads until its quota: 413 QUOTA_EXCEEDED; another sender still uploads to the same recipient', async () => {
    const [attacker, bystander, recipient] = [kit.s.client(), kit.s.client(), kit.s.client()];
    const { accepted, refusal } = await untilRefused(async () => {
      const bytes = randomBytes(FILE);
      return { bytes, id: await attacker.uploadRaw(recipient.address, bytes, 'fill.bin') };
    });
    expect({ status: refusal.status, code: refusal.errorCode }).toEqual({ status: 413, code: 'QUOTA_EXCEEDED' });
    expect(accepted).toHaveLength(Math.floor(KEY_ATTACHMENTS / fileCharge(FILE)));
    const bytes = randomBytes(FILE);
    const id = await fromAddress(BYSTANDER_ADDRESS, () => bystander.uploadRaw(recipient.address, bytes, 'hello.bin'));
    for (const file of [...accepted, { bytes, id }]) expect(Buffer.from(await recipient.downloadRaw(file.id)).equals(file.bytes)).toBe(true);
  });
});
