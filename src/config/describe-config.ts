import { SETTINGS } from './settings.js';
import type { LoadedConfig } from './load-config.js';

function show(value: unknown, secret: boolean): string {
  if (secret) return value === '' ? '(not set)' : '(set)';
  if (Array.isArray(value)) return value.length === 0 ? '(none)' : value.join(',');
  return String(value);
}

/** The effective configuration and, separately, the limits table, as `whispr check-config` prints them. */
export function describeConfig({ config, origin }: LoadedConfig): string {
  const values = config as unknown as Record<string, unknown>;
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const separator = (n: number) => row(Array.from({ length: n }, () => '---'));
  const lines = ['Effective configuration', '', row(['setting', 'value', 'from']), separator(3)];
  for (const spec of SETTINGS.filter((s) => !('limit' in s))) {
    lines.push(row([spec.key, show(values[spec.key], 'secret' in spec), origin[spec.key] ?? 'default']));
  }
  lines.push('', 'Limits', '', row(['limit', 'value', 'from', 'meaning']), separator(4));
  for (const spec of SETTINGS.filter((s) => 'limit' in s)) {
    lines.push(row([spec.key, show(values[spec.key], false), origin[spec.key] ?? 'default', spec.description]));
  }
  return lines.join('\n');
}
