import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ServerSecrets {
  /** HMAC key for access tokens. */
  tokenSecret: Uint8Array;
  /** The server's long-lived X25519 public key, hex (GET /public-key). */
  publicKeyHex: string;
}

/** The files in the data directory that hold the server's secrets (backed up with the data). */
export const SECRET_FILES = { tokenSecret: 'token-secret', serverKey: 'server-key.json' } as const;

interface StoredKey {
  public_key: string;
  private_key: string;
}

/** Reads the server's secrets from the data directory, creating them (mode 0600) on first start. */
export function loadServerSecrets(dataDir: string, configuredTokenSecret: string): ServerSecrets {
  mkdirSync(dataDir, { recursive: true });
  const tokenSecret =
    configuredTokenSecret !== ''
      ? new TextEncoder().encode(configuredTokenSecret)
      : Buffer.from(readOrCreate(join(dataDir, SECRET_FILES.tokenSecret), () => randomBytes(32).toString('hex')).trim(), 'hex');
  const stored = JSON.parse(
    readOrCreate(join(dataDir, SECRET_FILES.serverKey), () => {
      const { publicKey, privateKey } = generateKeyPairSync('x25519');
      const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url').toString('hex');
      const priv = Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url').toString('hex');
      return JSON.stringify({ public_key: pub, private_key: priv } satisfies StoredKey);
    }),
  ) as StoredKey;
  return { tokenSecret, publicKeyHex: stored.public_key };
}

function readOrCreate(path: string, create: () => string): string {
  if (!existsSync(path)) writeFileSync(path, create(), { mode: 0o600, flag: 'wx' });
  return readFileSync(path, 'utf8');
}
