/** What clients send on the WebSocket dialects: text frames, JSON objects, and the error frame answering a bad one. */
import type { RawData } from 'ws';
import { badRequest, type ApiError } from '../core/errors.js';
import { inputFault } from './input-faults.js';

/** Text of a frame if it is a text frame; binary frames are refused by every Whispr dialect. */
export function frameText(data: RawData, isBinary: boolean): string | undefined {
  if (isBinary) return undefined;
  return Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
}

/** The error frame of the Whispr-born dialects (signal, account, chat-app events). */
export const errorFrame = (code: string, detail: string): string => JSON.stringify({ type: 'error', error_code: code, detail });

/**
 * A text frame holding a JSON object, or the error to answer: INVALID_FRAME for anything else
 * (binary, not JSON, array, scalar), or what inputFault refuses (too deep, text no store keeps).
 */
export function jsonObjectFrame(data: RawData, isBinary: boolean): Record<string, unknown> | ApiError {
  const text = frameText(data, isBinary);
  let parsed: unknown;
  try {
    parsed = text === undefined ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return badRequest('INVALID_FRAME', 'Frames are JSON objects with a type');
  return inputFault(parsed) ?? (parsed as Record<string, unknown>);
}
