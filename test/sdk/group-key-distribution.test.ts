import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GroupClient, newGroupKey } from 'whispr-sdk';
import { startServer, type RunningServer } from '../support/test-server.js';

describe('SDK: GroupClient.distributeKey to some members', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer();
  });
  afterAll(async () => {
    await srv.stop();
  });

  it('seals the key only to the members named: they open it, the others still have none', async () => {
    const [owner, named, other] = [srv.client(), srv.client(), srv.client()];
    const [ownerGroups, namedGroups, otherGroups] = [owner, named, other].map((client) => new GroupClient(client));
    const { id: groupId, invite_code } = await ownerGroups!.create('partial');
    await namedGroups!.join({ invite_code });
    await otherGroups!.join({ invite_code });
    const key = newGroupKey();
    await ownerGroups!.distributeKey(groupId, key, 1, [owner.address, named.address]);

    expect(await namedGroups!.myKey(groupId)).toEqual({ key, keyVersion: 1 });
    await expect(otherGroups!.myKey(groupId)).rejects.toThrow('no group key has been distributed to this member yet');
    const { members } = await ownerGroups!.memberKeys(groupId);
    expect(members.find((m) => m.user_id === other.address)?.encrypted_group_key).toBeNull();
  });
});
