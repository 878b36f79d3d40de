import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { MaelstromError } from '../../model/errors.js';
import { migrationConformance } from '../migrations/conformance.js';
import { sqliteDialect } from '../dialect.js';
import { sqliteMigrations } from '../migrations/sqlite.js';
import { createSqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'maelstrom-migrate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function code(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return e instanceof MaelstromError ? e.code : String(e);
  }
  return undefined;
}

describe('sqlite store migrations', () => {
  migrationConformance({
    dialect: sqliteDialect,
    migrations: sqliteMigrations,
    create: async (name) => join(dir, `${name}.db`),
    open: (path, migrations, journal) => createSqliteStore({ path }, migrations, journal),
    raw: async (path) => {
      const db = new Database(path);
      return {
        exec: async (sql, args = []) => {
          const st = db.prepare(sql);
          if (st.reader) return st.all(...args) as Record<string, unknown>[];
          st.run(...args);
          return [];
        },
        close: async () => {
          db.close();
        },
      };
    },
  });

  it('brings a new file to the latest version and records each migration', async () => {
    const path = join(dir, 'new.db');
    const store = createSqliteStore({ path });
    await store.init();
    expect(store.schemaVersion()).toBe(sqliteMigrations.at(-1)!.version);
    await store.close();
    const db = new Database(path, { readonly: true });
    expect(db.prepare('SELECT version, name FROM schema_version ORDER BY version').all()).toEqual(
      sqliteMigrations.map((m) => ({ version: m.version, name: m.name })),
    );
    db.close();
  });

  it('opens the file in WAL mode', async () => {
    const path = join(dir, 'pragmas.db');
    const store = createSqliteStore({ path });
    await store.init();
    await store.close();
    const db = new Database(path);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('applies only the migrations above the recorded version', async () => {
    const path = join(dir, 'upgrade.db');
    const v1 = createSqliteStore({ path });
    await v1.init();
    await v1.close();
    const extra = [
      ...sqliteMigrations,
      {
        version: sqliteMigrations.at(-1)!.version + 1,
        name: 'notes',
        statements: ['CREATE TABLE notes (id INTEGER PRIMARY KEY)'],
      },
    ];
    const v2 = createSqliteStore({ path }, extra);
    await v2.init();
    expect(v2.schemaVersion()).toBe(extra.at(-1)!.version);
    await v2.close();
  });

  it('rolls a failing migration back entirely and reports E_STORE', async () => {
    const path = join(dir, 'failing.db');
    const broken = [
      ...sqliteMigrations,
      {
        version: sqliteMigrations.at(-1)!.version + 1,
        name: 'broken',
        statements: ['CREATE TABLE half (id INTEGER)', 'THIS IS NOT SQL'],
      },
    ];
    expect(await code(createSqliteStore({ path }, broken).init())).toBe('E_STORE');
    const db = new Database(path, { readonly: true });
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get()).toBeUndefined();
    expect(db.prepare('SELECT MAX(version) AS v FROM schema_version').get()).toEqual({
      v: sqliteMigrations.at(-1)!.version,
    });
    db.close();
  });

  it('applies a migration written beside a later one, whichever landed first', async () => {
    const path = join(dir, 'side-by-side.db');
    const later = sqliteMigrations.at(-1)!.version;
    const notes = { version: later + 2, name: 'notes', statements: ['CREATE TABLE notes (id INTEGER PRIMARY KEY)'] };
    const pins = { version: later + 1, name: 'pins', statements: ['CREATE TABLE pins (id INTEGER PRIMARY KEY)'] };
    const first = createSqliteStore({ path }, [...sqliteMigrations, notes]);
    await first.init();
    await first.close();
    const both = createSqliteStore({ path }, [...sqliteMigrations, pins, notes]);
    await both.init();
    await both.close();
    const db = new Database(path, { readonly: true });
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name IN ('notes', 'pins') ORDER BY name").all()).toEqual([
      { name: 'notes' },
      { name: 'pins' },
    ]);
    db.close();
    expect(() => createSqliteStore({ path }, [...sqliteMigrations, notes, pins])).toThrow(/expected more than/);
  });

  it('reports a store that cannot be opened with E_STORE, not a stack trace', async () => {
    expect(await code(createSqliteStore({ path: join(dir, 'missing-dir', 'x', 'store.db') }).init())).toBe('E_STORE');
    expect(await code(createSqliteStore({ path: ':memory:' }).getRun('x'))).toBe('E_STORE');
  });
});
