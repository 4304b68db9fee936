// npm run docs:config: rewrites the README configuration table from src/config/settings.ts
// (test/docs/readme.test.ts fails when a setting has no row).
import { readFileSync, writeFileSync } from 'node:fs';
import { SETTINGS, type SettingSpec } from '../src/config/settings.js';

const HEADER = '| setting (settings.json) | environment | flag | default | meaning |\n|---|---|---|---|---|\n';

function defaultCell(spec: SettingSpec): string {
  if (spec.secret === true) return spec.key === 'jwt_secret' ? '(generated)' : '(none)';
  if (Array.isArray(spec.default)) return spec.default.length === 0 ? '(none)' : `\`${spec.default.join(',')}\``;
  return spec.default === '' ? '(none)' : `\`${String(spec.default)}\``;
}

function row(spec: SettingSpec): string {
  const env = spec.env.map((name) => `\`${name}\``).join(', ');
  const flag = spec.flag === undefined ? '' : `\`--${spec.flag}\``;
  const choices = spec.choices === undefined ? '' : ` (${spec.choices.join(', ')})`;
  return `| \`${spec.key}\` | ${env} | ${flag} | ${defaultCell(spec)} | ${spec.description}${choices} |`;
}

const path = new URL('../README.md', import.meta.url);
const text = readFileSync(path, 'utf8');
const start = text.indexOf(HEADER);
if (start < 0) throw new Error('README has no configuration table header');
const end = text.indexOf('\n\n', start + HEADER.length);
writeFileSync(path, text.slice(0, start + HEADER.length) + (SETTINGS as readonly SettingSpec[]).map(row).join('\n') + text.slice(end));
