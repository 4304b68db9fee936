import { SETTINGS } from './settings.js';

/** Variables Whispr reads that are no setting of the table. */
const OTHER_NAMES = ['WHISPR_CONFIG'];
const KNOWN = new Set<string>([...SETTINGS.flatMap((spec) => spec.env), ...OTHER_NAMES]);
const WHISPR_NAMES = [...KNOWN].filter((name) => name.startsWith('WHISPR_'));

/** Edit distance, to suggest the name a misspelt variable probably meant. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * One warning per WHISPR_* variable that no setting reads: a misspelt name would otherwise leave
 * the default in force without a word.
 */
export function unknownWhisprVariables(env: NodeJS.ProcessEnv): string[] {
  return Object.keys(env)
    .filter((name) => name.startsWith('WHISPR_') && !KNOWN.has(name))
    .sort()
    .map((name) => {
      const closest = WHISPR_NAMES.map((known) => ({ known, d: distance(name, known) })).sort((x, y) => x.d - y.d)[0];
      const hint = closest !== undefined && closest.d <= 3 ? `; did you mean ${closest.known}?` : '';
      return `unknown environment variable ${name} is ignored${hint} (whispr check-config lists every setting)`;
    });
}
