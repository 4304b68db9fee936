import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { expect, test } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');
const FEATURES = join(SRC, 'features');
const IMPORT = /\bfrom\s+'(\.[^']+)'/g;

const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));

const featureOf = (path: string): string | undefined => {
  const rel = relative(FEATURES, path);
  return rel.startsWith('..') ? undefined : rel.split(sep)[0];
};

// A feature is changed behind its index.ts: code elsewhere (other features, app, storage drivers)
// sees only what that file exports, so a newcomer finds each feature's contract in one place.
test('code outside a feature imports only its index.ts', () => {
  const reachingIn: string[] = [];
  for (const file of sources(SRC)) {
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const target = resolve(dirname(file), spec!);
      const feature = featureOf(target);
      if (feature === undefined || feature === featureOf(file)) continue;
      if (target !== join(FEATURES, feature, 'index.js')) reachingIn.push(`${relative(SRC, file)} -> ${spec}`);
    }
  }
  expect(reachingIn).toEqual([]);
});
