import type { SqliteDatabase } from '../../../src/storage/sqlite/sqlite-database.js';
import { columnShape, indexShape, type SchemaShape, type TypeClass } from './shape.js';

interface ColumnInfo {
  name: string;
  type: string;
  notnull: number;
  /** Position in the primary key, from 1; 0 when not in it. */
  pk: number;
}

/** SQLite's type affinity rules (https://sqlite.org/datatype3.html#determination_of_column_affinity). */
function typeClass(declared: string): TypeClass {
  const type = declared.toUpperCase();
  if (type.includes('INT')) return 'integer';
  if (/CHAR|CLOB|TEXT/.test(type)) return 'text';
  if (type === '' || type.includes('BLOB')) return 'blob';
  if (/REAL|FLOA|DOUB/.test(type)) return 'real';
  return 'numeric';
}

/** The shape of every table of `db` but SQLite's own (sqlite_sequence). */
export function sqliteSchemaShape(db: SqliteDatabase): SchemaShape {
  const tables = db.prepare<[], string>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'").pluck().all();
  return Object.fromEntries(
    tables.map((table) => {
      const columns = db.pragma(`table_info(${table})`) as ColumnInfo[];
      const key = columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
      // An INTEGER PRIMARY KEY is the rowid, which is never NULL; table_info does not say so.
      const rowid = key.length === 1 && key[0]!.type.toUpperCase() === 'INTEGER' ? key[0]!.name : undefined;
      const indexes = (db.pragma(`index_list(${table})`) as Array<{ name: string; unique: number; origin: string; partial: number }>)
        .filter((index) => index.origin !== 'pk')
        .map((index) => {
          const indexed = (db.pragma(`index_info(${index.name})`) as Array<{ seqno: number; name: string }>).sort((a, b) => a.seqno - b.seqno);
          return indexShape(
            indexed.map((c) => c.name),
            index.unique === 1,
            index.partial === 1,
          );
        });
      return [
        table,
        {
          columns: Object.fromEntries(columns.map((c) => [c.name, columnShape(typeClass(c.type), c.notnull === 1 || c.name === rowid)])),
          primaryKey: key.map((c) => c.name),
          indexes: indexes.sort(),
        },
      ];
    }),
  );
}
