/**
 * The RTC-E2EE rooms protocol: `{"type": ..., "payload": ...}` frames as the Rust relay speaks
 * them, lenient with the Node relay's variants on input (extra fields, `action`, typing fields).
 */
import { inputFault } from '../../http/input-faults.js';

export type RoomErrorCode =
  | 'RATE_LIMITED'
  | 'MESSAGE_TOO_LARGE'
  | 'INVALID_ROOM_ID'
  | 'INVALID_USER_ID'
  | 'INVALID_USERNAME'
  | 'INVALID_MESSAGE'
  | 'NOT_IN_ROOM'
  | 'ROOM_FULL'
  | 'USER_ID_TAKEN'
  | 'UNAVAILABLE';

export class RoomProtocolError extends Error {
  constructor(
    readonly code: RoomErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type RoomCommand =
  | { type: 'ping' }
  | { type: 'join'; roomId: string; userId: string; username: string }
  | { type: 'leave' }
  | { type: 'message'; encrypted: string }
  | { type: 'typing'; isTyping: boolean }
  | { type: 'reaction'; messageId: string; emoji: string; action: 'add' | 'remove' };

const ID = /^[a-zA-Z0-9_-]{1,64}$/;
const USERNAME = /^[a-zA-Z0-9\s_-]{1,32}$/;
// Two standard-base64 parts joined by a dot (e.g. iv.ciphertext), canonical as Rust's base64
// STANDARD engine wants it: padding required, and the unused bits before the padding zero.
const BASE64_PART = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?$/;
const MESSAGE_ID_MAX = 128;
const EMOJI_MAX = 32;

const invalid = (message: string) => new RoomProtocolError('INVALID_MESSAGE', message);

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function isEncrypted(value: string): boolean {
  const dot = value.indexOf('.');
  if (dot <= 0 || dot !== value.lastIndexOf('.') || dot === value.length - 1) return false;
  return BASE64_PART.test(value.slice(0, dot)) && BASE64_PART.test(value.slice(dot + 1));
}

/** Parses one text frame into a command, or throws RoomProtocolError with the documented code. */
export function parseRoomFrame(text: string): RoomCommand {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid('Invalid JSON');
  }
  const fault = inputFault(parsed);
  if (fault !== undefined) throw invalid(fault.detail);
  const frame = record(parsed);
  if (frame === undefined) throw invalid('A frame must be a JSON object');
  const payload = record(frame.payload);
  switch (frame.type) {
    case 'ping':
      return { type: 'ping' };
    case 'leave':
      return { type: 'leave' };
    case 'join': {
      const { roomId, userId, username } = payload ?? {};
      if (typeof roomId !== 'string' || !ID.test(roomId)) throw new RoomProtocolError('INVALID_ROOM_ID', 'Invalid room ID format');
      if (typeof userId !== 'string' || !ID.test(userId)) throw new RoomProtocolError('INVALID_USER_ID', 'Invalid user ID format');
      if (typeof username !== 'string' || !USERNAME.test(username)) throw new RoomProtocolError('INVALID_USERNAME', 'Invalid username format');
      return { type: 'join', roomId, userId, username };
    }
    case 'message': {
      const encrypted = payload?.encrypted;
      if (typeof encrypted !== 'string' || !isEncrypted(encrypted)) throw invalid('Invalid encrypted message format');
      return { type: 'message', encrypted };
    }
    case 'typing': {
      if (typeof payload?.isTyping !== 'boolean') throw invalid('typing needs payload.isTyping (boolean)');
      return { type: 'typing', isTyping: payload.isTyping };
    }
    case 'reaction': {
      const { messageId, emoji, action } = payload ?? {};
      if (typeof messageId !== 'string' || messageId.length === 0 || messageId.length > MESSAGE_ID_MAX) throw invalid('reaction needs payload.messageId');
      if (typeof emoji !== 'string' || emoji.length === 0 || emoji.length > EMOJI_MAX) throw invalid('reaction needs payload.emoji');
      if (action !== undefined && action !== 'add' && action !== 'remove') throw invalid('reaction action must be add or remove');
      return { type: 'reaction', messageId, emoji, action: action ?? 'add' };
    }
    default:
      throw invalid('Unknown message type');
  }
}

export interface RoomUser {
  id: string;
  name: string;
}

/** Server frames, serialized once and written to every recipient. */
export const roomFrames = {
  pong: () => '{"type":"pong"}',
  error: (code: RoomErrorCode, message: string) => JSON.stringify({ type: 'error', code, message }),
  userList: (users: readonly RoomUser[]) =>
    JSON.stringify({ type: 'userList', payload: { users: users.map((u) => ({ id: u.id, name: u.name, avatar: null })) } }),
  userJoined: (user: RoomUser) => JSON.stringify({ type: 'userJoined', payload: { userId: user.id, username: user.name } }),
  userLeft: (userId: string) => JSON.stringify({ type: 'userLeft', payload: { userId } }),
  message: (id: string, encrypted: string, timestamp: string) => JSON.stringify({ type: 'message', payload: encrypted, id, timestamp }),
  userTyping: (userId: string, isTyping: boolean) => JSON.stringify({ type: 'userTyping', payload: { userId, isTyping } }),
  reaction: (messageId: string, user: RoomUser, emoji: string, action: 'add' | 'remove') =>
    JSON.stringify({ type: 'reaction', messageId, user: { id: user.id, name: user.name, avatar: null }, emoji, action }),
};
