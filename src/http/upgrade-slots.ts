import type { Duplex } from 'node:stream';
import type { ConnectionSlots } from '../cluster/connection-slots.js';

/** One connection cap an upgrade must fit under: `key` (an address, or an endpoint and an address) holds at most `cap` slots. */
export interface SlotCap {
  key: string;
  cap: number;
}

/**
 * Takes a slot under every cap, in order, for an upgrade on `socket`; false (nothing held) when one
 * is full. The slots are tied to the socket, not to the handshake: they come back exactly once when
 * the socket closes, however that happens (a refused or failed handshake, a client gone mid-way, a
 * closed WebSocket, shutdown), since each of those ends the socket.
 *
 * Call it in the tick of the 'upgrade' event, before any await: the socket's 'close' is then still
 * to come. (stream.finished would also cover a socket closed earlier, for several closures per socket.)
 */
export async function holdSlotsWhileOpen(slots: ConnectionSlots, caps: readonly SlotCap[], socket: Duplex, onError: (err: unknown) => void): Promise<boolean> {
  const held: string[] = [];
  let closed = false;
  // splice empties the list: what was given back is not given back again.
  const giveBack = () => {
    for (const key of held.splice(0)) slots.release(key).catch(onError);
  };
  socket.on('close', () => {
    closed = true;
    giveBack();
  });
  try {
    for (const { key, cap } of caps) {
      if (!(await slots.acquire(key, cap))) {
        giveBack();
        return false;
      }
      held.push(key);
      // The socket closed while this slot was being taken: nothing will give it back later.
      if (closed) giveBack();
    }
  } catch (err) {
    giveBack();
    throw err;
  }
  return true;
}
