import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const PYTHON = '/usr/bin/python3';

/**
 * Whether the original desktop client's Python libraries (PyNaCl, requests) are here. CI must have
 * them (.ci/run installs them); elsewhere the tests that need them are skipped with a warning.
 */
export function requirePyNaCl(): boolean {
  let available = existsSync(PYTHON);
  try {
    if (available) execFileSync(PYTHON, ['-c', 'import nacl, requests'], { stdio: 'ignore' });
  } catch {
    available = false;
  }
  if (!available) {
    if (process.env.CI === 'true') throw new Error('python3-nacl and python3-requests are required in CI (.ci/run installs them)');
    console.warn('SKIPPED original desktop client tests: install Debian python3-nacl and python3-requests to run them');
  }
  return available;
}
