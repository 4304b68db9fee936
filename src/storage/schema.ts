/** Where a database's schema stands against the versions this code knows. */
export interface SchemaReport {
  /** The version the database is at (0: no schema yet). */
  version: number;
  /** The newest version this code knows. */
  latest: number;
  /** Versions applied by this open (empty when it was up to date, or only inspected). */
  applied: number[];
}

/**
 * The database was migrated by a newer Whispr: this code would misread tables it does not know,
 * so it refuses to run on it rather than risk writing rows the newer code cannot read.
 */
export class SchemaTooNewError extends Error {
  constructor(found: number, latest: number) {
    super(
      `the database schema is at version ${found} but this Whispr knows versions up to ${latest}: run the Whispr release that wrote it (or newer), or restore a backup made by this one`,
    );
  }
}

/** Refuses a schema newer than the code (see SchemaTooNewError). */
export function refuseNewerSchema(found: number, latest: number): void {
  if (found > latest) throw new SchemaTooNewError(found, latest);
}
