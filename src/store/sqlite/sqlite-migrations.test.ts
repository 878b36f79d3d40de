import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { MaelstromError } from '../../model/errors.js';
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

  it('moves the requests still pending in the audit log of a version 2 store to the requests table', async () => {
    const path = join(dir, 'requests.db');
    const v2 = createSqliteStore({ path }, sqliteMigrations.slice(0, 2));
    await v2.init();
    const command = { kind: 'command', runId: 'r1', command: { action: 'pause', reason: 'look' }, role: 'operator' };
    const applied = await v2.appendAudit({
      time: 1,
      actor: 'alice',
      action: 'request',
      target: 'r1',
      details: command,
    });
    await v2.appendAudit({ time: 2, actor: 'alice', action: 'pause', target: 'r1', details: command.command });
    await v2.appendAudit({
      time: 3,
      actor: 'alice',
      action: 'request.applied',
      reason: 'applied',
      details: { requestId: applied },
    });
    await v2.appendAudit({ time: 4, actor: 'bob', action: 'request', target: 'r1', details: command });
    await v2.appendAudit({
      time: 5,
      actor: 'carol',
      action: 'request',
      details: { kind: 'halt', reason: 'fire', role: 'admin' },
    });
    await v2.appendAudit({ time: 6, actor: 'dave', action: 'token.create', details: { role: 'viewer' } });
    await v2.close();

    const v3 = createSqliteStore({ path });
    await v3.init();
    const { role: _role, ...body } = command;
    expect((await v3.pendingRequests()).map(({ id: _id, ...r }) => r)).toEqual([
      { time: 4, actor: 'bob', role: 'operator', runId: 'r1', body },
      { time: 5, actor: 'carol', role: 'admin', body: { kind: 'halt', reason: 'fire' } },
    ]);
    // The audit log is history: it keeps every row it had.
    expect(await v3.listAudit()).toHaveLength(6);
    await v3.close();
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

  it('keeps the abort or halt intent of runs stopped before the stop intent had a column', async () => {
    const path = join(dir, 'intent.db');
    const before = sqliteMigrations.filter((m) => m.name !== 'stop intent');
    const old = createSqliteStore({ path }, before);
    await old.init();
    await old.close();
    const db = new Database(path);
    const insert = db.prepare(
      'INSERT INTO runs (id, plan, datacenter, direction, state, compiled, created_at, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    insert.run('h', 'p', 'east', 'drain', 'aborting', '{}', 1, 'halted by ana: east is on fire');
    insert.run('a', 'p', 'east', 'drain', 'aborting', '{}', 2, 'aborted by ana: halted traffic looks wrong');
    insert.run('d', 'p', 'east', 'drain', 'halted', '{}', 3, 'halted by bob');
    insert.run('r', 'p', 'east', 'drain', 'running', '{}', 4, null);
    db.close();
    const store = createSqliteStore({ path });
    await store.init();
    expect((await store.getRun('h'))!.stopIntent).toBe('halted');
    expect((await store.getRun('a'))!.stopIntent).toBe('aborted');
    expect((await store.getRun('d'))!.stopIntent).toBe('halted');
    expect((await store.getRun('r'))!.stopIntent).toBeUndefined();
    await store.close();
  });

  it('refuses a store written by a newer version', async () => {
    const path = join(dir, 'newer.db');
    const store = createSqliteStore({ path });
    await store.init();
    await store.close();
    const db = new Database(path);
    db.prepare('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)').run(99, 'future', 0);
    db.close();
    expect(await code(createSqliteStore({ path }).init())).toBe('E_STORE');
  });

  it('reports a store that cannot be opened with E_STORE, not a stack trace', async () => {
    expect(await code(createSqliteStore({ path: join(dir, 'missing-dir', 'x', 'store.db') }).init())).toBe('E_STORE');
    expect(await code(createSqliteStore({ path: ':memory:' }).getRun('x'))).toBe('E_STORE');
  });
});
