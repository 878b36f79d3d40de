/**
 * The few things SQLite and PostgreSQL spell differently, for the SQL the stores share: column types, the
 * auto-numbered key, what orders rows by insertion, and the JSON functions of the one data migration. Everything
 * else (tables, columns, queries, row codecs) is written once, in SQL both read alike, with `?` placeholders that
 * the PostgreSQL store numbers.
 */
export interface Dialect {
  readonly name: 'sqlite' | 'postgres';
  /** Milliseconds since the epoch and lease epochs: 64-bit integers (SQLite's INTEGER is 64-bit already). */
  readonly bigint: string;
  readonly double: string;
  /** An auto-numbered 64-bit primary key, never reused. */
  readonly serialKey: string;
  /**
   * What numbers `runs` in insertion order (listRuns breaks ties of created_at by it): SQLite's implicit rowid, or
   * a column that migration 1 declares (`declare`).
   */
  readonly runOrder: { readonly column: string; readonly declare?: string };
  /** JSON held as text: a field's value as text, the object without a field, and whether the text is JSON. */
  readonly json: {
    field(column: string, key: string): string;
    without(column: string, key: string): string;
    valid(column: string): string;
    /** A column as it compares with `field` (PostgreSQL's `->>` answers text). */
    comparable(column: string): string;
  };
}

export const sqliteDialect: Dialect = {
  name: 'sqlite',
  bigint: 'INTEGER',
  double: 'REAL',
  serialKey: 'INTEGER PRIMARY KEY AUTOINCREMENT',
  runOrder: { column: 'rowid' },
  json: {
    field: (column, key) => `json_extract(${column}, '$.${key}')`,
    without: (column, key) => `json_remove(${column}, '$.${key}')`,
    valid: (column) => `json_valid(${column})`,
    comparable: (column) => column,
  },
};

export const postgresDialect: Dialect = {
  name: 'postgres',
  bigint: 'BIGINT',
  double: 'DOUBLE PRECISION',
  serialKey: 'BIGSERIAL PRIMARY KEY',
  runOrder: { column: 'ord', declare: 'ord BIGSERIAL' },
  json: {
    field: (column, key) => `${column}::jsonb ->> '${key}'`,
    without: (column, key) => `(${column}::jsonb - '${key}')::text`,
    // The column only ever holds JSON the store wrote (or NULL).
    valid: (column) => `${column} IS NOT NULL`,
    comparable: (column) => `${column}::text`,
  },
};
