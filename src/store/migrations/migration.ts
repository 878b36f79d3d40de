/**
 * A numbered schema migration. Each store dialect has its own list, in ascending version order; a store applies,
 * in one transaction each and in that order, every migration whose version its `schema_version` table does not
 * record, and refuses to open a store that records a version it does not know (a newer controller wrote it).
 *
 * Versions are applied by set, not by "everything above the highest": migrations written side by side (3 and 4,
 * say) may land in either order, and a store that already has 4 still gets 3 when it arrives.
 */
import { MaelstromError } from '../../model/errors.js';
import type { Dialect } from '../dialect.js';

export interface Migration {
  /** 1, 2, 3…: unique and ascending within a list. */
  readonly version: number;
  readonly name: string;
  /** Statements run in order inside the migration's transaction. */
  readonly statements: readonly string[];
}

/** The statements that keep a store's record of its applied migrations, as `d` spells them. */
export const schemaVersionSql = (d: Dialect) =>
  ({
    create:
      'CREATE TABLE IF NOT EXISTS schema_version ' +
      `(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at ${d.bigint} NOT NULL)`,
    applied: 'SELECT version FROM schema_version ORDER BY version',
    current: 'SELECT MAX(version) AS v FROM schema_version',
    record: 'INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)',
  }) as const;

/** Checks that versions are positive integers in ascending order, so a mistake in the list fails the tests. */
export function checkMigrations(list: readonly Migration[]): void {
  list.forEach((m, i) => {
    const previous = i === 0 ? 0 : list[i - 1]!.version;
    if (!Number.isInteger(m.version) || m.version <= previous)
      throw new Error(`migration ${m.name} has version ${m.version}, expected more than ${previous}`);
  });
}

/** The migrations a store that records `applied` still needs, in order; E_STORE for a version the list does not know. */
export function pendingMigrations(list: readonly Migration[], applied: readonly number[]): Migration[] {
  const known = new Set(list.map((m) => m.version));
  const unknown = applied.filter((v) => !known.has(v));
  if (unknown.length > 0) {
    throw new MaelstromError(
      'E_STORE',
      `the store's schema has version ${unknown.join(', ')}, which this maelstrom does not know ` +
        `(it knows up to ${list.at(-1)?.version ?? 0}); upgrade maelstrom`,
    );
  }
  const have = new Set(applied);
  return list.filter((m) => !have.has(m.version));
}
