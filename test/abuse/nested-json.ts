/** Deeply nested JSON texts, as a hostile client sends them. */

export type Nesting = 'arrays' | 'objects';
export const NESTINGS: readonly Nesting[] = ['arrays', 'objects'];

/** `levels` nested arrays `[[[...]]]`, or objects `{"a":{"a":...1}}`. */
export const nested = (levels: number, kind: Nesting): string =>
  kind === 'arrays' ? '['.repeat(levels) + ']'.repeat(levels) : `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

/** As deeply nested as fits in `bytes`. */
export const deepest = (bytes: number, kind: Nesting): string => nested(Math.floor(bytes / (kind === 'arrays' ? 2 : 6)), kind);
