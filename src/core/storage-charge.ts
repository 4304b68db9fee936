/**
 * What a stored row is charged against a storage quota on top of its content: the row itself and,
 * for a file, its disk block, so many tiny writes are bounded as much as a few large ones. The usage
 * triggers of schema version 7 (SQLite and PostgreSQL) use the same figures.
 */
export const MESSAGE_ROW_BYTES = 256;
export const FILE_ROW_BYTES = 4096;

export const fileCharge = (size: number): number => size + FILE_ROW_BYTES;
