/**
 * A database schema reduced to what both engines can state alike, so the embedded (SQLite) and the
 * cluster (PostgreSQL) schemas can be compared: names, coarse types, nullability, keys and indexes.
 */

/** A column's type class: engines name types differently (bigint / INTEGER, bytea / BLOB). */
export type TypeClass = 'integer' | 'real' | 'text' | 'blob' | 'boolean' | 'numeric' | `other: ${string}`;

export interface TableShape {
  /** Column name -> `<type class>` or `<type class> not null`. */
  columns: Record<string, string>;
  primaryKey: string[];
  /** Every index but the primary key's, as `[unique ](a, b)[ partial]`, sorted; names are left out, as each engine makes its own. */
  indexes: string[];
}

export type SchemaShape = Record<string, TableShape>;

export const columnShape = (type: TypeClass, notNull: boolean) => (notNull ? `${type} not null` : type);

export const indexShape = (columns: string[], unique: boolean, partial: boolean) =>
  `${unique ? 'unique ' : ''}(${columns.join(', ')})${partial ? ' partial' : ''}`;

/** Every way `postgres` differs from `sqlite`, one line each (empty when they match). */
export function schemaDifferences(sqlite: SchemaShape, postgres: SchemaShape): string[] {
  const lines: string[] = [];
  for (const table of union(Object.keys(sqlite), Object.keys(postgres))) {
    const [s, p] = [sqlite[table], postgres[table]];
    if (s === undefined || p === undefined) {
      lines.push(`table ${table}: only in ${s === undefined ? 'postgres' : 'sqlite'}`);
      continue;
    }
    for (const column of union(Object.keys(s.columns), Object.keys(p.columns))) {
      const [sc, pc] = [s.columns[column], p.columns[column]];
      if (sc !== pc) lines.push(`column ${table}.${column}: sqlite ${sc ?? 'none'}, postgres ${pc ?? 'none'}`);
    }
    if (s.primaryKey.join() !== p.primaryKey.join())
      lines.push(`primary key of ${table}: sqlite (${s.primaryKey.join(', ')}), postgres (${p.primaryKey.join(', ')})`);
    for (const index of unmatched(s.indexes, p.indexes)) lines.push(`index ${table} ${index}: only in sqlite`);
    for (const index of unmatched(p.indexes, s.indexes)) lines.push(`index ${table} ${index}: only in postgres`);
  }
  return lines;
}

const union = (a: string[], b: string[]) => [...new Set([...a, ...b])].sort();

/** The entries of `list` left once each entry of `other` has cancelled one equal entry. */
function unmatched(list: string[], other: string[]): string[] {
  const left = [...other];
  return list.filter((entry) => {
    const at = left.indexOf(entry);
    if (at >= 0) left.splice(at, 1);
    return at < 0;
  });
}
