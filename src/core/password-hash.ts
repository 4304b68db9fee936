import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt parameters of new hashes (N=2^15, r=8, p=1: about 32 MiB and 50-100 ms per check). */
const DEFAULT_PARAMS = { N: 32_768, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
const SALT_BYTES = 16;
/** `scrypt$N$r$p$salt$hash`, salt and hash in base64url. */
const FORMAT = /^scrypt\$(\d{1,7})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9_-]{16,128})\$([A-Za-z0-9_-]{32,128})$/;

export interface PasswordHash {
  params: { N: number; r: number; p: number };
  salt: Buffer;
  hash: Buffer;
}

function derive(password: string, salt: Buffer, length: number, params: PasswordHash['params']): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r + 1_048_576 };
  return new Promise((resolve, reject) => scrypt(password, salt, length, options, (err, key) => (err === null ? resolve(key) : reject(err))));
}

/** True if `value` is written as a scrypt hash (as `whispr hash-password` prints) rather than a password. */
export const isPasswordHash = (value: string): boolean => value.startsWith('scrypt$');

/** Parses `scrypt$N$r$p$salt$hash`; undefined if malformed or N is not a power of two above 1. */
export function parsePasswordHash(value: string): PasswordHash | undefined {
  const m = FORMAT.exec(value);
  if (m === null) return undefined;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (N < 2 || (N & (N - 1)) !== 0 || N > 1_048_576 || r < 1 || p < 1) return undefined;
  return { params: { N, r, p }, salt: Buffer.from(m[4]!, 'base64url'), hash: Buffer.from(m[5]!, 'base64url') };
}

export async function hashPassword(password: string): Promise<PasswordHash> {
  const salt = randomBytes(SALT_BYTES);
  return { params: { ...DEFAULT_PARAMS }, salt, hash: await derive(password, salt, KEY_BYTES, DEFAULT_PARAMS) };
}

export function formatPasswordHash({ params, salt, hash }: PasswordHash): string {
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

/** Constant-time comparison of scrypt(password) with the stored hash. */
export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const candidate = await derive(password, stored.salt, stored.hash.length, stored.params);
  return timingSafeEqual(candidate, stored.hash);
}
