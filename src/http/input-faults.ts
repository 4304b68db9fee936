import { badRequest, type ApiError } from '../core/errors.js';

/** Arrays and objects nested deeper than this are refused: no Whispr client nests more than a few levels. */
export const MAX_INPUT_DEPTH = 64;

/**
 * Why a parsed input (a JSON body, a query, path parameters, a WebSocket JSON frame) is refused, or
 * undefined. Refused: nesting deeper than MAX_INPUT_DEPTH (whatever handles the value next may
 * recurse), and a string or key no database keeps as text: a lone UTF-16 surrogate (not UTF-8) or
 * U+0000 (PostgreSQL refuses it; SQLite would keep it, so both refuse it here). The walk keeps its
 * own stack, so no input can exhaust the call stack; bytes (raw uploads) are not text and are skipped.
 */
export function inputFault(value: unknown): ApiError | undefined {
  const pending: unknown[] = [value];
  const depths: number[] = [0];
  while (pending.length > 0) {
    const item = pending.pop();
    const depth = depths.pop()!;
    if (typeof item === 'string') {
      const fault = stringFault(item);
      if (fault !== undefined) return fault;
      continue;
    }
    if (item === null || typeof item !== 'object' || ArrayBuffer.isView(item)) continue;
    if (depth === MAX_INPUT_DEPTH) return badRequest('JSON_TOO_DEEP', `Arrays and objects may be nested at most ${MAX_INPUT_DEPTH} deep`);
    // An object's keys are client text too: they are walked beside its values.
    for (const child of Array.isArray(item) ? item : Object.entries(item).flat()) {
      pending.push(child);
      depths.push(depth + 1);
    }
  }
  return undefined;
}

function stringFault(text: string): ApiError | undefined {
  if (!text.isWellFormed()) return badRequest('INVALID_STRING', 'Strings must be valid Unicode (no lone surrogates)');
  if (text.includes('\0')) return badRequest('INVALID_STRING', 'Strings must not contain U+0000');
  return undefined;
}
