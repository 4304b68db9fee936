import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
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
      throw new ConfigError(`setting "${setting}": cannot read ${path}: ${(err as Error).message}: point it at a readable PEM file`);
    }
  };
  const files = { cert: read('tls_cert', config.tls_cert), key: read('tls_key', config.tls_key) };
  try {
    // Parsed now, so a wrong file stops the start with its name, not a stack trace from the listener.
    createSecureContext(files);
  } catch (err) {
    throw new ConfigError(
      `settings "tls_cert" (${config.tls_cert}) and "tls_key" (${config.tls_key}) are not a usable certificate and key (${(err as Error).message}): give the PEM certificate chain and its own private key`,
    );
  }
  return files;
}
