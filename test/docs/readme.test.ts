import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { SETTINGS } from '../../src/config/settings.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

test('the README configuration table documents every setting, its variables, flag and default', () => {
  for (const spec of SETTINGS) {
    const row = readme.split('\n').find((line) => line.startsWith(`| \`${spec.key}\` |`));
    expect(row, `README row for ${spec.key}`).toBeDefined();
    for (const name of spec.env) expect(row).toContain(`\`${name}\``);
    if ('flag' in spec) expect(row).toContain(`\`--${spec.flag}\``);
    if (typeof spec.default === 'number' || typeof spec.default === 'boolean') expect(row).toContain(`\`${String(spec.default)}\``);
  }
});

test('the README gives exactly the two set-up commands CI relies on', () => {
  expect(readme).toContain('npm install && npm start');
  expect(readme).toContain('npm test');
  // .ci/run runs exactly that command, on each supported Node (on_node VERSION COMMAND...).
  expect(readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8')).toMatch(/^\s*on_node "\$version" npm test$/m);
});
