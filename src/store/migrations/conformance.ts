/**
 * The migration checks both SQL stores pass, dialect by dialect: a store written before a migration keeps what it
 * held and gains what the migration adds, and a store written by the released schema (the fixture
 * fixtures/store-v9.json: the rows a version 9 store held, and what that version's store read back from them)
 * opens as it was and reads the same. Each store's test file calls `migrationConformance(harness)` inside its own
 * describe block.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import type { Row, SqlValue } from '../codec.js';
import type { Dialect } from '../dialect.js';
import type { JournalOptions } from '../journal.js';
import type { RunRecord, Store } from '../store.js';
import { hashTokenSecret } from '../tokens.js';
import { schemaVersionSql, type Migration } from './migration.js';

/** A connection straight to a database, below the store. */
export interface RawDatabase {
  /** One statement, `?` placeholders; answers the rows of one that reads. */
  exec(sql: string, args?: readonly SqlValue[]): Promise<readonly Row[]>;
  close(): Promise<void>;
}

export interface MigrationHarness {
  readonly dialect: Dialect;
  /** The dialect's migrations, as the store applies them by default. */
  readonly migrations: readonly Migration[];
  /** A new, empty database named after `name`; answers what `open` and `raw` take. */
  create(name: string): Promise<string>;
  /** The store over the database, not yet initialised. */
  open(db: string, migrations?: readonly Migration[], journal?: JournalOptions): Store;
  raw(db: string): Promise<RawDatabase>;
}

interface Fixture {
  readonly versions: readonly { readonly version: number; readonly name: string }[];
  readonly rows: Readonly<Record<string, readonly Row[]>>;
  readonly reads: Readonly<Record<string, unknown>>;
}

const read = (file: string): unknown => JSON.parse(readFileSync(new URL(file, import.meta.url), 'utf8'));

/** What a store reads back of the fixture's rows: every kind of record, through the interface. */
async function everything(store: Store): Promise<Record<string, unknown>> {
  const key = { template: 't', service: 'api', datacenter: 'east', plan: 'evacuate-east' };
  return {
    runs: await store.listRuns(),
    activeRuns: await store.listRuns({ active: true }),
    run1: await store.getRun('run-1'),
    tasks1: await store.getTasks('run-1'),
    tasks3: await store.getTasks('run-3'),
    events: await store.listEvents(),
    eventsRun1: await store.listEvents({ runId: 'run-1', afterSeq: 1 }),
    durations: await store.durations(key),
    tokens: await store.listTokens(),
    tokenByHash: await store.findTokenByHash(hashTokenSecret('s1')),
    audit: await store.listAudit(),
    lease: await store.getLease('runs'),
    controllers: await store.listControllers(),
    pending: await store.pendingRequests(),
    request1: await store.getRequest(1),
    resolverStats: await store.resolverStats(),
    resolutions: await store.listResolutions({ runId: 'run-1' }),
    journal: await store.listJournal(),
    deliveries: await store.listDeliveries(),
    tests: await store.listTests(),
    skips: await store.listSkips(),
    testsHalt: await store.testsHalt(),
  };
}

/** Writes the fixture's rows into `db` under the released migrations' schema, as a version 9 store held them. */
async function restore(h: MigrationHarness, db: string, fixture: Fixture): Promise<void> {
  const released = (read('./fixtures/released.json') as Record<Dialect['name'], Migration[]>)[h.dialect.name];
  const raw = await h.raw(db);
  const sv = schemaVersionSql(h.dialect);
  await raw.exec(sv.create);
  for (const m of released) {
    for (const sql of m.statements) await raw.exec(sql);
    await raw.exec(sv.record, [m.version, m.name, 0]);
  }
  // In table order, which puts runs before the tasks that refer to them; each table's rows in insertion order.
  for (const [table, rows] of Object.entries(fixture.rows)) {
    for (const row of rows) {
      const columns = Object.keys(row);
      await raw.exec(
        `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
        columns.map((c) => row[c] as SqlValue),
      );
    }
  }
  if (h.dialect.name === 'postgres') {
    // Rows inserted with their ids leave the sequences behind: set each where the store's own inserts left it.
    const serials = await raw.exec(
      "SELECT table_name, column_name FROM information_schema.columns WHERE column_default LIKE 'nextval(%'",
    );
    for (const s of serials) {
      const [table, column] = [String(s.table_name), String(s.column_name)];
      await raw.exec(`SELECT setval(pg_get_serial_sequence('${table}', '${column}'), MAX(${column})) FROM ${table}`);
    }
  }
  await raw.close();
}

export function migrationConformance(h: MigrationHarness): void {
  it('opens a store written by the released schema as it was, reads back what it held, and numbers on', async () => {
    const fixture = read('./fixtures/store-v9.json') as Fixture;
    const db = await h.create('released_v9');
    await restore(h, db, fixture);
    // The fixture's journal is older than any retention window: kept, to be read.
    const store = h.open(db, h.migrations, { retentionMs: Number.MAX_SAFE_INTEGER });
    await store.init();
    const raw = await h.raw(db);
    const versions = await raw.exec('SELECT version, name FROM schema_version ORDER BY version');
    expect(versions.map((v) => ({ version: Number(v.version), name: v.name }))).toEqual(
      h.migrations.map((m) => ({ version: m.version, name: m.name })),
    );
    expect(versions.slice(0, fixture.versions.length).map((v) => Number(v.version))).toEqual(
      fixture.versions.map((v) => v.version),
    );
    await raw.close();
    expect(JSON.parse(JSON.stringify(await everything(store)))).toEqual(fixture.reads);
    // New rows number on after the old ones.
    expect(await store.appendAudit({ time: 99, actor: 'ana', action: 'pause' })).toBe(
      Math.max(...fixture.rows.audit!.map((r) => Number(r.id))) + 1,
    );
    const [event] = await store.appendEvents([
      { type: 'run.state', runId: 'run-3', plan: 'evacuate-east', state: 'running', time: 99 },
    ]);
    expect(event!.seq).toBe(Math.max(...fixture.rows.events!.map((r) => Number(r.seq))) + 1);
    // Runs created in the same millisecond list last inserted first, after the old ones as before.
    await store.createRun({ ...(fixture.reads.run1 as RunRecord), id: 'run-4', createdAt: 2000 }, []);
    expect((await store.listRuns({ limit: 1 }))[0]!.id).toBe('run-4');
    await store.close();
  });

  it('moves the requests still pending in the audit log of a version 2 store to the requests table', async () => {
    const db = await h.create('requests_v2');
    const v2 = h.open(db, h.migrations.slice(0, 2));
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

    const v3 = h.open(db);
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

  it('keeps the abort or halt intent of runs stopped before the stop intent had a column', async () => {
    const db = await h.create('intent_backfill');
    const old = h.open(
      db,
      h.migrations.filter((m) => m.name !== 'stop intent'),
    );
    await old.init();
    await old.close();
    const raw = await h.raw(db);
    const insert = (id: string, state: string, createdAt: number, reason: string | null) =>
      raw.exec(
        'INSERT INTO runs (id, plan, datacenter, direction, state, compiled, created_at, reason) ' +
          "VALUES (?, 'p', 'east', 'drain', ?, '{}', ?, ?)",
        [id, state, createdAt, reason],
      );
    await insert('h', 'aborting', 1, 'halted by ana: east is on fire');
    await insert('a', 'aborting', 2, 'aborted by ana: halted traffic looks wrong');
    await insert('d', 'halted', 3, 'halted by bob');
    await insert('b', 'aborted', 4, 'aborted by bob');
    await insert('r', 'running', 5, null);
    await raw.close();
    const store = h.open(db);
    await store.init();
    expect((await store.getRun('h'))!.stopIntent).toBe('halted');
    expect((await store.getRun('a'))!.stopIntent).toBe('aborted');
    expect((await store.getRun('d'))!.stopIntent).toBe('halted');
    expect((await store.getRun('b'))!.stopIntent).toBe('aborted');
    expect((await store.getRun('r'))!.stopIntent).toBeUndefined();
    await store.close();
  });

  it('refuses a store written by a newer version', async () => {
    const db = await h.create('newer');
    const store = h.open(db);
    await store.init();
    await store.close();
    const raw = await h.raw(db);
    await raw.exec(schemaVersionSql(h.dialect).record, [99, 'future', 0]);
    await raw.close();
    await expect(h.open(db).init()).rejects.toMatchObject({ code: 'E_STORE' });
  });
}
