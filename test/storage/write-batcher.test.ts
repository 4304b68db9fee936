import { expect, test } from 'vitest';
import { openSqliteDatabase } from '../../src/storage/sqlite/sqlite-database.js';
import { SqliteWriteBatcher } from '../../src/storage/sqlite/write-batcher.js';

test('writes of one turn share a transaction, and one that throws is rolled back alone', async () => {
  const db = openSqliteDatabase(':memory:');
  db.exec('CREATE TABLE t (v INTEGER UNIQUE)');
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  const writes = new SqliteWriteBatcher(db);
  const results = await Promise.allSettled([
    writes.run(() => insert.run(1).changes),
    writes.run(() => {
      insert.run(2);
      insert.run(1); // violates UNIQUE: this whole write, including its insert of 2, is undone
    }),
    writes.run(() => insert.run(3).changes),
  ]);
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  expect(db.prepare('SELECT v FROM t ORDER BY v').all()).toEqual([{ v: 1 }, { v: 3 }]);
  db.close();
});
