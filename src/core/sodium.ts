import { createRequire } from 'node:module';

export type Sodium = typeof import('sodium-native');

let loaded: Sodium | null | undefined;

/** sodium-native if its prebuilt addon loads on this platform, otherwise null. */
export function loadSodium(): Sodium | null {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)('sodium-native') as Sodium;
    } catch {
      loaded = null;
    }
  }
  return loaded;
}

export function requireSodium(purpose: string): Sodium {
  const sodium = loadSodium();
  if (sodium === null) throw new Error(`sodium-native is not available on this platform; needed for ${purpose}`);
  return sodium;
}
