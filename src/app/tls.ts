import { readFileSync } from 'node:fs';
import { checkTlsPair, ConfigError } from '../config/load-config.js';
import type { Config } from '../config/settings.js';

export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

/** Reads the PEM certificate chain and private key, or returns undefined when TLS is off. */
export function readTlsFiles(config: Pick<Config, 'tls_cert' | 'tls_key'>): TlsFiles | undefined {
  checkTlsPair(config);
  if (config.tls_cert === '') return undefined;
  const read = (setting: 'tls_cert' | 'tls_key', path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new ConfigError(`setting "${setting}": cannot read ${path}: ${(err as Error).message}`);
    }
  };
  return { cert: read('tls_cert', config.tls_cert), key: read('tls_key', config.tls_key) };
}
