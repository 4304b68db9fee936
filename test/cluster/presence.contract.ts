/**
 * What every Presence driver must do. `node()` is the presence of another server process; for the
 * in-process driver it is the same presence, since one process is the whole deployment.
 */
import { expect, test } from 'vitest';
import type { Presence } from '../../src/cluster/presence.js';

export interface PresenceNodes {
  node(): Promise<Presence>;
}

export function presenceContract(nodes: () => PresenceNodes): void {
  test('an id is online from its first join until its last leave; ids are separate', async () => {
    const presence = await nodes().node();
    expect(await presence.isOnline('alice')).toBe(false);
    await presence.join('alice');
    await presence.join('alice');
    expect(await presence.isOnline('alice')).toBe(true);
    expect(await presence.isOnline('bob')).toBe(false);
    await presence.leave('alice');
    expect(await presence.isOnline('alice')).toBe(true);
    await presence.leave('alice');
    expect(await presence.isOnline('alice')).toBe(false);
  });

  test('a leave without a join is harmless and takes nothing from a later join', async () => {
    const presence = await nodes().node();
    await presence.leave('carol');
    expect(await presence.isOnline('carol')).toBe(false);
    await presence.join('carol');
    expect(await presence.isOnline('carol')).toBe(true);
  });

  test('two nodes see each other’s users; an id with sockets on both stays online until both left', async () => {
    const [a, b] = [await nodes().node(), await nodes().node()];
    await a.join('dave');
    await b.join('erin');
    expect(await b.isOnline('dave')).toBe(true);
    expect(await a.isOnline('erin')).toBe(true);
    await b.join('dave');
    await a.leave('dave');
    expect(await a.isOnline('dave')).toBe(true);
    await b.leave('dave');
    expect(await a.isOnline('dave')).toBe(false);
    expect(await b.isOnline('dave')).toBe(false);
  });

  test('a node that closes takes its users offline everywhere', async () => {
    const [a, b] = [await nodes().node(), await nodes().node()];
    await a.join('frank');
    await a.close();
    expect(await b.isOnline('frank')).toBe(false);
  });
}
