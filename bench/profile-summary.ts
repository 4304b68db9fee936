// Usage: npx tsx bench/profile-summary.ts bench/results/profiles/<file>.cpuprofile [top]
// Prints where a server spent its CPU: self time by function, and by source file / package.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
}

const [file, topArg] = process.argv.slice(2);
if (file === undefined) {
  console.error('usage: tsx bench/profile-summary.ts <file.cpuprofile> [top=25]');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const total = profile.nodes.reduce((sum, n) => sum + (n.hitCount ?? 0), 0);

const where = (url: string) => {
  if (url === '') return '(native/vm)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg !== undefined) return pkg;
  const src = /\/work\/[^/]+\/(src\/.*|bench\/.*)$/.exec(url)?.[1];
  if (src !== undefined) return src;
  return url.replace(/^node:/, 'node:');
};

const label = (n: ProfileNode) => {
  const place = where(n.callFrame.url);
  return `${n.callFrame.functionName || '(anonymous)'}  ${place}${n.callFrame.url === '' ? '' : `:${n.callFrame.lineNumber + 1}`}`;
};

const byFunction = new Map<string, number>();
const byPlace = new Map<string, number>();
for (const n of profile.nodes) {
  const hits = n.hitCount ?? 0;
  if (hits === 0) continue;
  const place = where(n.callFrame.url);
  byFunction.set(label(n), (byFunction.get(label(n)) ?? 0) + hits);
  byPlace.set(place, (byPlace.get(place) ?? 0) + hits);
}

// Inclusive time: a function's own samples plus everything it called, counted once per stack.
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const inclusive = new Map<string, number>();
const walk = (n: ProfileNode, onStack: Set<string>): number => {
  const name = label(n);
  const fresh = !onStack.has(name);
  if (fresh) onStack.add(name);
  let hits = n.hitCount ?? 0;
  for (const id of n.children ?? []) {
    const child = byId.get(id);
    if (child !== undefined) hits += walk(child, onStack);
  }
  if (fresh) {
    onStack.delete(name);
    inclusive.set(name, (inclusive.get(name) ?? 0) + hits);
  }
  return hits;
};
const root = profile.nodes[0];
if (root !== undefined) walk(root, new Set());
for (const name of ['(root)  (native/vm)', '(idle)  (native/vm)', '(program)  (native/vm)']) inclusive.delete(name);

const print = (title: string, map: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [name, hits] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((hits / total) * 100).toFixed(1).padStart(5)}%  ${name}`);
  }
};
console.log(`${file}: ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s profiled, ${total} samples`);
print('self time by function', byFunction);
print('self time by package / file', byPlace);
print('inclusive time by function (self + callees)', inclusive);
