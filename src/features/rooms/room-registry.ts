import { GroupLink, type GroupCluster } from '../../cluster/group-link.js';
import { roomFrames, type RoomUser } from './room-protocol.js';

/** A connection in a room: who it is and how to write to it (best effort, no acknowledgement). */
export interface RoomMember {
  user: RoomUser;
  /** A serialized text frame, or its UTF-8 bytes (a broadcast encodes once for every member). */
  send(frame: string | Buffer): void;
}

/** A user as the roster stores it: the id (no spaces) and the name after the first space. */
const encodeUser = (user: RoomUser): string => `${user.id} ${user.name}`;
/** The roster's unique prefix of a user: its id and the space after it (so `ab` does not hold `abc`). */
const idPrefix = (user: RoomUser): string => `${user.id} `;

/** Why a join was refused: the room is at its cap, or a live connection holds the user id. */
export type RoomRefusal = 'full' | 'taken';
const decodeUser = (data: string): RoomUser => {
  const space = data.indexOf(' ');
  return { id: data.slice(0, space), name: data.slice(space + 1) };
};

/**
 * Rooms exist while someone is in them; nothing is stored. Each node keeps its own members; with a
 * cluster the roster lists every node's members (userList, the size cap) and broadcasts reach the
 * other nodes over the room's bus channel.
 */
export class RoomRegistry {
  private readonly rooms = new Map<string, Set<RoomMember>>();
  private readonly link: GroupLink<RoomMember> | undefined;

  constructor(
    private readonly maxMembers: number,
    cluster?: GroupCluster,
    onError: (err: unknown) => void = () => undefined,
  ) {
    this.link =
      cluster &&
      new GroupLink<RoomMember>(
        cluster,
        'room',
        {
          deliver: (roomId, frame) => this.deliver(roomId, frame),
          departed: (roomId, users) => {
            for (const data of users) this.broadcast(roomId, roomFrames.userLeft(decodeUser(data).id));
          },
          restored: (roomId, members) => {
            for (const member of members) this.broadcast(roomId, roomFrames.userJoined(member.user), member);
          },
        },
        onError,
      );
  }

  /**
   * Adds `member` (joining as `user`) unless the room is full or another live connection of the room
   * (on any node) holds `user.id`: one id, one connection, so nobody types, reacts or leaves as
   * someone else. Returns the users already there, oldest first, or why not. At once on one node, a
   * promise in a cluster.
   */
  join(roomId: string, member: RoomMember, user: RoomUser): RoomUser[] | RoomRefusal | Promise<RoomUser[] | RoomRefusal> {
    if (this.link === undefined) {
      const room = this.members(roomId);
      const others = [...room].map((m) => m.user);
      if (others.some((other) => other.id === user.id)) return 'taken';
      if (room.size >= this.maxMembers) return 'full';
      room.add(member);
      return others;
    }
    return this.link.join(roomId, member, encodeUser(user), this.maxMembers, idPrefix(user)).then((present) => {
      if (present === undefined) return 'full';
      if (present === 'taken') return present;
      this.members(roomId).add(member);
      return present.map(decodeUser);
    });
  }

  /** In a cluster, resolves once the other nodes' roster has it (a rejoin under the same id waits for that). */
  leave(roomId: string, member: RoomMember): void | Promise<void> {
    const listed = this.link?.leave(roomId, member);
    const room = this.rooms.get(roomId);
    if (room !== undefined) {
      room.delete(member);
      if (room.size === 0) this.rooms.delete(roomId);
    }
    return listed;
  }

  /** Writes one serialized frame to every member of the room but `except`, on every node. */
  broadcast(roomId: string, frame: string, except?: RoomMember): number {
    this.link?.publish(roomId, frame);
    return this.deliver(roomId, frame, except);
  }

  stats(): { active_rooms: number; total_users: number } {
    let users = 0;
    for (const room of this.rooms.values()) users += room.size;
    return { active_rooms: this.rooms.size, total_users: users };
  }

  close(): void {
    this.link?.close();
  }

  /** Writes the frame to this node's members of the room but `except`. */
  private deliver(roomId: string, frame: string, except?: RoomMember): number {
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

  private members(roomId: string): Set<RoomMember> {
    let room = this.rooms.get(roomId);
    if (room === undefined) {
      room = new Set();
      this.rooms.set(roomId, room);
    }
    return room;
  }
}
