import { existsSync, readFileSync } from 'node:fs';
import { expect, test } from 'vitest';

const ROOT = new URL('../../', import.meta.url);
const compat = readFileSync(new URL('docs/compat.md', ROOT), 'utf8');

/** The table rows of docs/compat.md, each with the last cell (the test it points at). */
const rows = compat
  .split('\n')
  .filter((line) => line.startsWith('| ') && !line.startsWith('| operation') && !line.startsWith('|---'))
  .map((line) => ({ line, testCell: line.split(' | ').at(-1)!.replace(/ \|$/, '') }));

test('every row of docs/compat.md points at a test file that exists, and at test names found in it', () => {
  expect(rows.length).toBeGreaterThan(20);
  let previous: string | undefined;
  for (const { line, testCell } of rows) {
    const files = [...testCell.matchAll(/`(test\/[^`]+\.test\.ts)`/g)].map((m) => m[1]!);
    // "same": the file of the row above.
    if (testCell.startsWith('same') && previous !== undefined) files.unshift(previous);
    expect(files.length, `a test file in: ${line}`).toBeGreaterThan(0);
    for (const file of files) expect(existsSync(new URL(file, ROOT)), `${file} exists`).toBe(true);
    // Quoted names ("create: …") name a test in the row's last file; … stands for the part left out.
    const source = readFileSync(new URL(files.at(-1)!, ROOT), 'utf8');
    for (const [, quoted] of testCell.matchAll(/"([^"]+)"/g)) expect(source, `"${quoted}" in ${files.at(-1)}`).toContain(quoted!.replace(/^…|…$/g, '').trim());
    previous = files[0];
  }
});
