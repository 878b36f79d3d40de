/**
 * A numbered schema migration. Each store dialect has its own ordered list; a store applies, in one transaction
 * each, every migration above the version recorded in its `schema_version` table, and refuses to open a store
 * whose version is newer than the last it knows (a newer controller wrote it).
 */
export interface Migration {
  /** 1, 2, 3… with no gaps. */
  readonly version: number;
  readonly name: string;
  /** Statements run in order inside the migration's transaction. */
  readonly statements: readonly string[];
}

/** Checks that versions run 1..n without gaps, so a mistake in the list fails the tests, not a user's store. */
export function checkMigrations(list: readonly Migration[]): void {
  list.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name} has version ${m.version}, expected ${i + 1}`);
  });
}
