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
  const held = new SocketSlots(slots, caps, onError);
  // The one closure a socket keeps, anonymous: under tsx's keepNames a named one costs ~256 bytes more.
  socket.on('close', () => held.socketClosed());
  return held.take();
}

/** The slots one upgrade holds; the state it keeps for the socket's whole life is this small object. */
class SocketSlots {
  /** caps[0 .. taken) are held. */
  private taken = 0;
  private closed = false;

  constructor(
    private readonly slots: ConnectionSlots,
    private readonly caps: readonly SlotCap[],
    private readonly onError: (err: unknown) => void,
  ) {}

  async take(): Promise<boolean> {
    try {
      for (const { key, cap } of this.caps) {
        if (!(await this.slots.acquire(key, cap))) {
          this.giveBack();
          return false;
        }
        this.taken += 1;
        // The socket closed while this slot was being taken: nothing would give it back later, and
        // what follows (authorization, ws) fails on the closed socket without taking anything.
        if (this.closed) {
          this.giveBack();
          break;
        }
      }
    } catch (err) {
      this.giveBack();
      throw err;
    }
    return true;
  }

  socketClosed(): void {
    this.closed = true;
    this.giveBack();
  }

  /** Gives back what is held; a second call finds nothing to give. */
  private giveBack(): void {
    for (let i = 0; i < this.taken; i++) this.slots.release(this.caps[i]!.key).catch(this.onError);
    this.taken = 0;
  }
}
