// npm run bench:sqlite: the embedded store's hot path on the two SQLite drivers a supported Node can
// use, better-sqlite3 (the one Whispr ships) and the built-in node:sqlite, in one run on one machine.
// The workload is the relay's: per event-loop turn one transaction of queued messages, then a
// recipient's lease (select up to 100) and delete. Rounds alternate the drivers; medians are reported.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BATCH = 50; // sends per transaction, as under load
const RECIPIENTS = 200;

/** The few calls the workload needs, so both drivers run the same code. */
interface Driver {
  exec(sql: string): void;
  statement(sql: string): { run(...args: unknown[]): unknown; all(...args: unknown[]): unknown[] };
  close(): void;
}

const SCHEMA = `
  PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
  CREATE TABLE inbox (id INTEGER PRIMARY KEY, recipient TEXT NOT NULL, sender TEXT NOT NULL, body BLOB NOT NULL, created_at REAL NOT NULL);
  CREATE INDEX inbox_recipient ON inbox (recipient, id);`;

async function openDriver(name: 'better-sqlite3' | 'node:sqlite', file: string): Promise<Driver> {
  if (name === 'better-sqlite3') {
    const db = new Database(file);
    return { exec: (sql) => db.exec(sql), statement: (sql) => db.prepare(sql), close: () => db.close() };
  }
  const { DatabaseSync } = await import('node:sqlite');
  const db = new DatabaseSync(file);
  return {
    exec: (sql) => db.exec(sql),
    statement: (sql) => {
      const s = db.prepare(sql);
      return { run: (...args) => s.run(...(args as never[])), all: (...args) => s.all(...(args as never[])) };
    },
    close: () => db.close(),
  };
}

/** Messages stored and delivered (inserted, leased, deleted) per second. */
async function measure(name: 'better-sqlite3' | 'node:sqlite'): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'whispr-sqlite-bench-'));
  const db = await openDriver(name, join(dir, 'bench.db'));
  try {
    db.exec(SCHEMA);
    const insert = db.statement('INSERT INTO inbox (recipient, sender, body, created_at) VALUES (?, ?, ?, ?)');
    const lease = db.statement('SELECT id, sender, body, created_at FROM inbox WHERE recipient = ? ORDER BY id LIMIT 100');
    const remove = db.statement('DELETE FROM inbox WHERE recipient = ? AND id <= ?');
    const recipients = Array.from({ length: RECIPIENTS }, () => randomBytes(32).toString('hex'));
    const sender = randomBytes(32).toString('hex');
    const body = randomBytes(256);
    let done = 0;
    let turn = 0;
    const end = performance.now() + SECONDS * 1000;
    while (performance.now() < end) {
      db.exec('BEGIN');
      for (let i = 0; i < BATCH; i++) insert.run(recipients[(turn * BATCH + i) % RECIPIENTS], sender, body, Date.now() / 1000);
      db.exec('COMMIT');
      const recipient = recipients[turn % RECIPIENTS];
      const rows = lease.all(recipient) as Array<{ id: number }>;
      if (rows.length > 0) remove.run(recipient, rows[rows.length - 1]!.id);
      done += rows.length;
      turn++;
    }
    return Math.round(done / SECONDS);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

const results: Record<string, number[]> = { 'better-sqlite3': [], 'node:sqlite': [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const name of ['better-sqlite3', 'node:sqlite'] as const) results[name]!.push(await measure(name));
}
const better = median(results['better-sqlite3']!);
const builtin = median(results['node:sqlite']!);
console.log(`Node ${process.versions.node}, ${SECONDS} s x ${ROUNDS} rounds, ${BATCH} sends per transaction`);
console.log(`better-sqlite3  ${better.toLocaleString('en')} messages stored+delivered/s  (runs: ${results['better-sqlite3']!.join(', ')})`);
console.log(`node:sqlite     ${builtin.toLocaleString('en')} messages stored+delivered/s  (runs: ${results['node:sqlite']!.join(', ')})`);
console.log(`node:sqlite / better-sqlite3: ${(builtin / better).toFixed(2)}`);
