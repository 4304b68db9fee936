// Usage: npx tsx bench/heap-summary.ts before.heapsnapshot after.heapsnapshot [divisor=1] [top=30]
// What grew between two V8 heap snapshots (e.g. the rooms memory run's, BENCH_HEAP_SNAPSHOT=1):
// count and self size by node type and constructor / closure name, divided by `divisor` (the sockets).
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

const [beforeFile, afterFile, divisorArg, topArg] = process.argv.slice(2);
if (beforeFile === undefined || afterFile === undefined) {
  console.error('usage: tsx bench/heap-summary.ts <before.heapsnapshot> <after.heapsnapshot> [divisor=1] [top=30]');
  process.exit(2);
}
const divisor = Number(divisorArg ?? 1);
const top = Number(topArg ?? 30);

/** key -> [count, self bytes]; strings and arrays are grouped by type, objects and closures by name. */
function aggregate(file: string): Map<string, [number, number]> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
  const out = new Map<string, [number, number]>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]!] ?? '?';
    const name = snap.strings[snap.nodes[i + nameAt]!] ?? '?';
    const key =
      type === 'string' || type === 'concatenated string' || type === 'sliced string' || type === 'number' ? `(${type})` : `${type}: ${name.slice(0, 80)}`;
    const entry = out.get(key) ?? [0, 0];
    entry[0] += 1;
    entry[1] += snap.nodes[i + sizeAt]!;
    out.set(key, entry);
  }
  return out;
}

const before = aggregate(beforeFile);
const after = aggregate(afterFile);
const rows: { key: string; count: number; bytes: number }[] = [];
for (const [key, [count, bytes]] of after) {
  const [c0, b0] = before.get(key) ?? [0, 0];
  rows.push({ key, count: (count - c0) / divisor, bytes: (bytes - b0) / divisor });
}
const total = rows.reduce((sum, r) => sum + r.bytes, 0);
console.log(`heap growth: ${(total / 1024).toFixed(2)} KB${divisor === 1 ? '' : ` per unit (divisor ${divisor})`}; top ${top} by self size:`);
console.log(`${'bytes'.padStart(9)}  ${'count'.padStart(7)}  node`);
for (const r of rows.sort((a, b) => b.bytes - a.bytes).slice(0, top))
  console.log(`${r.bytes.toFixed(1).padStart(9)}  ${r.count.toFixed(2).padStart(7)}  ${r.key}`);
