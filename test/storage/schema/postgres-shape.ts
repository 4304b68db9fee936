import type { PgQueryable } from '../../../src/storage/postgres/pg-database.js';
import { columnShape, indexShape, type SchemaShape, type TableShape, type TypeClass } from './shape.js';

const TYPE_CLASSES: Record<string, TypeClass> = {
  smallint: 'integer',
  integer: 'integer',
  bigint: 'integer',
  real: 'real',
  'double precision': 'real',
  text: 'text',
  'character varying': 'text',
  character: 'text',
  bytea: 'blob',
  boolean: 'boolean',
  numeric: 'numeric',
};

/** The shape of every table in the connection's current schema. */
export async function postgresSchemaShape(db: PgQueryable): Promise<SchemaShape> {
  const columns = await db.query<{ table: string; column: string; type: string; nullable: string }>(
    `SELECT table_name AS table, column_name AS column, data_type AS type, is_nullable AS nullable
       FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`,
  );
  const indexes = await db.query<{ table: string; columns: string[]; unique: boolean; primary: boolean; partial: boolean }>(
    `SELECT t.relname AS table, i.indisunique AS unique, i.indisprimary AS primary, i.indpred IS NOT NULL AS partial,
            array(SELECT a.attname::text FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k (attnum, at)
                    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.at) AS columns
       FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
      WHERE t.relnamespace = current_schema()::regnamespace`,
  );
  const shape: SchemaShape = {};
  const table = (name: string): TableShape => (shape[name] ??= { columns: {}, primaryKey: [], indexes: [] });
  for (const c of columns) table(c.table).columns[c.column] = columnShape(TYPE_CLASSES[c.type] ?? `other: ${c.type}`, c.nullable === 'NO');
  for (const i of indexes) {
    if (i.primary) table(i.table).primaryKey = i.columns;
    else table(i.table).indexes.push(indexShape(i.columns, i.unique, i.partial));
  }
  for (const t of Object.values(shape)) t.indexes.sort();
  return shape;
}
