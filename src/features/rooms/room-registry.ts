import type { RoomUser } from './room-protocol.js';

/** A connection in a room: who it is and how to write to it (best effort, no acknowledgement). */
export interface RoomMember {
  user: RoomUser;
  /** A serialized text frame, or its UTF-8 bytes (a broadcast encodes once for every member). */
  send(frame: string | Buffer): void;
}

/** Rooms exist while someone is in them; nothing is stored. */
export class RoomRegistry {
  private readonly rooms = new Map<string, Set<RoomMember>>();

  constructor(private readonly maxMembers: number) {}

  /** Adds the member; returns the members already there, or undefined when the room is full. */
  join(roomId: string, member: RoomMember): RoomMember[] | undefined {
    let room = this.rooms.get(roomId);
    if (room === undefined) {
      room = new Set();
      this.rooms.set(roomId, room);
    }
    if (room.size >= this.maxMembers) return undefined;
    const others = [...room];
    room.add(member);
    return others;
  }

  isFull(roomId: string): boolean {
    return (this.rooms.get(roomId)?.size ?? 0) >= this.maxMembers;
  }

  leave(roomId: string, member: RoomMember): void {
    const room = this.rooms.get(roomId);
    if (room === undefined) return;
    room.delete(member);
    if (room.size === 0) this.rooms.delete(roomId);
  }

  /** Writes one serialized frame to every member of the room but `except`. */
  broadcast(roomId: string, frame: string, except?: RoomMember): number {
    const room = this.rooms.get(roomId);
    if (room === undefined) return 0;
    // ws would encode a string again for every socket; its bytes are written as is (and never modified).
    const bytes = Buffer.from(frame);
    let sent = 0;
    for (const member of room) {
      if (member === except) continue;
      member.send(bytes);
      sent += 1;
    }
    return sent;
  }

  stats(): { active_rooms: number; total_users: number } {
    let users = 0;
    for (const room of this.rooms.values()) users += room.size;
    return { active_rooms: this.rooms.size, total_users: users };
  }
}
