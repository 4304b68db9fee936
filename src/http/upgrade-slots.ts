import type { Duplex } from 'node:stream';
import type { ConnectionSlots } from '../cluster/connection-slots.js';

/**
 * One connection cap an upgrade must fit under: the key `prefix + address` (an address, or an
 * endpoint and an address) holds at most `cap` slots. Shared by every upgrade (made once per
 * endpoint), the key built when a slot is taken or given back: a socket keeps no key of its own.
 */
export interface SlotCap {
  prefix: string;
  cap: number;
}

/** Where a socket keeps its slots (a symbol: no name a stream or ws could use). */
const HELD = Symbol('whispr.slots');
type SlotHolder = Duplex & { [HELD]?: SocketSlots };

/**
 * Takes a slot under every cap, in order, for an upgrade from `address` on `socket`; false (nothing
 * held) when one is full. The slots are tied to the socket, not to the handshake: they come back
 * exactly once when the socket closes, however that happens (a refused or failed handshake, a client
 * gone mid-way, a closed WebSocket, shutdown), since each of those ends the socket (once ws has
 * taken it over, on the WebSocket's 'close', see slotsFollowWebSocket).
 *
 * Call it in the tick of the 'upgrade' event, before any await: the socket's 'close' is then still
 * to come. (stream.finished would also cover a socket closed earlier, for several closures per socket.)
 */
export async function holdSlotsWhileOpen(
  slots: ConnectionSlots,
  caps: readonly SlotCap[],
  address: string,
  socket: Duplex,
  onError: (err: unknown) => void,
): Promise<boolean> {
  const held = new SocketSlots(slots, caps, address, onError);
  // On the socket and a listener shared by every socket: no closure per socket.
  (socket as SlotHolder)[HELD] = held;
  socket.on('close', socketClosed);
  return held.take();
}

function socketClosed(this: SlotHolder): void {
  giveBackSlots(this);
}

/**
 * For a socket ws has taken over: its slots come back through `giveBackSlots` on the WebSocket's
 * 'close' (which ws emits after the socket's), not on the socket's own: one listener less per socket.
 */
export function slotsFollowWebSocket(socket: Duplex): void {
  socket.off('close', socketClosed);
}

/** Gives back the slots held for `socket` (once: later calls find nothing). */
export function giveBackSlots(socket: Duplex): void {
  (socket as SlotHolder)[HELD]?.socketClosed();
}

/** The slots one upgrade holds; the state it keeps for the socket's whole life is this small object. */
class SocketSlots {
  /** caps[0 .. taken) are held. */
  private taken = 0;
  private closed = false;

  constructor(
    private readonly slots: ConnectionSlots,
    private readonly caps: readonly SlotCap[],
    private readonly address: string,
    private readonly onError: (err: unknown) => void,
  ) {}

  async take(): Promise<boolean> {
    try {
      for (const { prefix, cap } of this.caps) {
        if (!(await this.slots.acquire(prefix + this.address, cap))) {
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
    for (let i = 0; i < this.taken; i++) this.slots.release(this.caps[i]!.prefix + this.address).catch(this.onError);
    this.taken = 0;
  }
}
