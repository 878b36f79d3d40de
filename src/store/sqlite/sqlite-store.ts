/**
 * The embedded store: one SQLite file (or `:memory:`), the default for a single controller.
 *
 * Crash safety: the database runs in WAL mode with `synchronous=FULL`, so a transaction is on disk when commit()
 * returns; a controller killed with SIGKILL one instruction later loses nothing it was told was saved. Every
 * multi-row change (createRun, commit) is one transaction: all of it or none of it.
 */
import Database from 'better-sqlite3';
import { z } from 'zod';
import type { EngineEvent } from '../../model/events.js';
import { MaelstromError } from '../../model/errors.js';
import { objectList } from '../../model/shapes.js';
import type {
  AuditEntry,
  DurationKey,
  Fence,
  Lease,
  RunRecord,
  Store,
  TaskPatch,
  TaskRecord,
  TokenRecord,
  RunPatch,
} from '../store.js';

const SCHEMA_VERSION = schemaVersionSql(dialect);
/** The rows of a query that reads. */
const all = (d: Database.Database, q: Query): Row[] => d.prepare(q.sql).all(...q.args) as Row[];
import {
  DELIVERY_COLUMNS,
  RESOLUTION_COLUMNS,
  RUN_COLUMNS,
  TASK_COLUMNS,
  auditRow,
  controllerRow,
  deliveryPatchColumns,
  deliveryRow,
  eventBody,
  leaseRow,
  requestRow,
  resolutionRow,
  rowAudit,
  rowController,
  rowDelivery,
  rowEvent,
  rowLease,
  rowRequest,
  rowResolution,
  rowRun,
  rowStats,
  rowTask,
  rowToken,
  runPatchColumns,
  runRow,
  sortStats,
  taskPatchColumns,
  taskRow,
  type Row,
} from '../codec.js';
import { sqliteDialect as dialect } from '../dialect.js';
import {
  SQL,
  schemaOf,
  durationArgs,
  durationsArgs,
  insertSql,
  listAuditQuery,
  listDeliveriesQuery,
  listEventsQuery,
  listJournalQuery,
  listResolutionsQuery,
  listRunsQuery,
  pendingRequestsQuery,
  resolverStatsQuery,
  tokenArgs,
  updateQuery,
  type Query,
} from '../queries.js';
import { pendingMigrations, schemaVersionSql, type Migration } from '../migrations/migration.js';
import { sqliteMigrations } from '../migrations/sqlite.js';
import { sqlTestStore, type Statement } from '../tests-sql.js';
import { decideLease, fenceHolds, fencedError } from '../lease-rule.js';
import {
  JOURNAL_COLUMNS,
  createJournal,
  entryOf,
  eventEntry,
  journalRow,
  leaseEntry,
  releasedEntry,
  padHlc,
  requestEntry,
  runCreatedEntry,
  unpadHlc,
  type JournalOptions,
} from '../journal.js';
import type { TimelineEvent } from '../../model/timeline.js';

export const SqliteStoreConfig = z.strictObject({
  /** A file path, or `:memory:`. */
  path: z.string().min(1),
  /** Milliseconds to wait for a lock held by another connection (a `status` reading while a run writes). */
  busyTimeoutMs: z.number().int().nonnegative().default(5000),
  /**
   * `full` (the default): a commit is on disk before it returns, whatever happens to the machine. `process`: a
   * commit survives the controller being killed (SIGKILL) but not the machine losing power; it spares an fsync per
   * commit, for throwaway stores such as the demo's.
   */
  durability: z.enum(['full', 'process']).default('full'),
});
export type SqliteStoreConfig = z.input<typeof SqliteStoreConfig>;

export interface SqliteStore extends Store {
  /** The schema version after init(). */
  schemaVersion(): number;
}

/**
 * Makes `prepare` answer the statement already compiled for the same SQL text: the store's statements are few, and
 * compiling one on every commit was most of a commit's cost. Statements are only run, never iterated, so one
 * compiled statement serves every caller.
 */
function reuseStatements(d: Database.Database): void {
  const compile = d.prepare.bind(d);
  const compiled = new Map<string, Database.Statement>();
  d.prepare = ((sql: string) => {
    let stmt = compiled.get(sql);
    if (stmt === undefined) {
      stmt = compile(sql);
      compiled.set(sql, stmt);
    }
    return stmt;
  }) as Database.Database['prepare'];
}

/** Creates a store over the file; call init() before use (it opens the file and applies migrations). */
export function createSqliteStore(
  config: SqliteStoreConfig,
  migrations: readonly Migration[] = sqliteMigrations,
  journalOptions: JournalOptions = {},
): SqliteStore {
  const { path, busyTimeoutMs, durability } = SqliteStoreConfig.parse(config);
  const { journaling, requestColumns } = schemaOf(migrations);
  const journal = createJournal(journalOptions);
  let db: Database.Database | undefined;
  // Written once: every commit with events journals them.
  const journalInsert = insertSql('journal', JOURNAL_COLUMNS);

  const open = (): Database.Database => {
    if (!db) throw new MaelstromError('E_STORE', 'the store is not open (call init() first)');
    return db;
  };
  const leaseOf = (d: Database.Database, name: string): Lease | undefined => {
    const row = d.prepare(SQL.getLease).get(name) as Row | undefined;
    return row ? rowLease(row) : undefined;
  };

  const journalled = (d: Database.Database, entries: readonly TimelineEvent[]): void => {
    if (entries.length === 0 || !journaling) return;
    const stmt = d.prepare(journalInsert);
    for (const e of entries) stmt.run(...journalRow(e));
    if (journal.due(entries.length)) d.prepare(SQL.pruneJournal).run(journal.horizon());
  };

  /** The latest HLC any process wrote to the journal: reading it is a receive from that process. */
  const absorbJournal = (d: Database.Database, from: string): void => {
    if (!journaling) return;
    const row = d.prepare(SQL.latestHlc).get() as { h: string | null };
    if (row.h) journal.receive(unpadHlc(row.h), from);
  };

  /** The store, or (given a fence) its view whose writes check the fence first. */
  const make = (fence: Fence | undefined, check: boolean): SqliteStore => {
    /**
     * Runs `fn` in a transaction, turning driver errors into E_STORE and keeping MaelstromErrors as they are. A fenced
     * view checks its lease epoch first, in the same transaction, so nothing of a stale controller is written.
     */
    const tx = <T>(fn: (d: Database.Database) => T): T => {
      const d = open();
      try {
        return d
          .transaction(() => {
            if (fence && check) {
              const current = leaseOf(d, fence.lease);
              if (!fenceHolds(fence, current)) throw fencedError(fence, current);
            }
            return fn(d);
          })
          .immediate();
      } catch (e) {
        throw storeError(e);
      }
    };
    /** Lease operations decide by the lease itself, never by a fence. */
    const leaseTx = <T>(fn: (d: Database.Database) => T): T => {
      const d = open();
      try {
        return d.transaction(() => fn(d)).immediate();
      } catch (e) {
        throw storeError(e);
      }
    };
    const read = <T>(fn: (d: Database.Database) => T): T => {
      try {
        return fn(open());
      } catch (e) {
        throw storeError(e);
      }
    };

    const insertEvents = (d: Database.Database, events: readonly EngineEvent[], runId?: string): EngineEvent[] => {
      // Most commits carry no events: an empty answer of the same kind of array as a filled one (see objectList).
      if (events.length === 0) return objectList();
      const stmt = d.prepare(SQL.insertEvent);
      const epoch = fence?.epoch;
      // The event's HLC is the journal's business: the events themselves (replayed exactly by reports and tests)
      // stay as the engine wrote them.
      const out = events.map((e) => {
        const info = stmt.run(e.runId ?? runId ?? null, e.type, e.time, eventBody(e, epoch), epoch ?? null);
        const saved = { ...e, seq: Number(info.lastInsertRowid), ...(epoch !== undefined ? { epoch } : {}) };
        const entry = eventEntry({ ...saved, runId: e.runId ?? runId } as EngineEvent, journal.stamp(), journal.source);
        return { saved, entry };
      });
      journalled(
        d,
        out.map((o) => o.entry),
      );
      return out.map((o) => o.saved);
    };

    const applyRunPatch = (d: Database.Database, runId: string, patch: RunPatch): void => {
      const cols = runPatchColumns(patch);
      if (cols.length === 0) return;
      const q = updateQuery('runs', cols, 'id = ?', [runId]);
      d.prepare(q.sql).run(...q.args);
    };

    const applyTaskPatch = (d: Database.Database, runId: string, id: string, patch: TaskPatch): void => {
      const cols = taskPatchColumns(patch);
      if (!d.prepare(SQL.taskExists).get(runId, id)) {
        throw new MaelstromError('E_NOT_FOUND', `run ${runId} has no task ${id}`);
      }
      if (cols.length === 0) return;
      const q = updateQuery('tasks', cols, 'run_id = ? AND id = ?', [runId, id]);
      d.prepare(q.sql).run(...q.args);
    };

    // One statement at a time; a statement that returns rows (a SELECT, a RETURNING) answers them.
    const statement =
      (run: typeof tx): Statement =>
      async (sql, args = []) =>
        run((d) => {
          const st = d.prepare(sql);
          if (st.reader) return st.all(...args) as Row[];
          st.run(...args);
          return [];
        });

    const store: SqliteStore = {
      inProcess: true,
      ...sqlTestStore(statement(read), statement(tx)),

      fenced: (f, o) => make(f, o?.check ?? true),

      async init() {
        if (db) return;
        let d: Database.Database;
        try {
          d = new Database(path);
          d.pragma('journal_mode = WAL');
          // In WAL mode NORMAL syncs at checkpoints only: the WAL is in the OS's cache, safe from a killed process.
          d.pragma(durability === 'full' ? 'synchronous = FULL' : 'synchronous = NORMAL');
          d.pragma('foreign_keys = ON');
          d.pragma(`busy_timeout = ${busyTimeoutMs}`);
        } catch (e) {
          throw new MaelstromError('E_STORE', `cannot open the store at ${path}: ${(e as Error).message}`, {
            cause: e,
          });
        }
        try {
          migrate(d, migrations);
          if (journaling) d.prepare(SQL.pruneJournal).run(journal.horizon());
        } catch (e) {
          d.close();
          throw storeError(e);
        }
        reuseStatements(d);
        db = d;
      },

      async close() {
        db?.close();
        db = undefined;
      },

      schemaVersion: () => read((d) => currentVersion(d)),

      async createRun(run: RunRecord, tasks: readonly TaskRecord[], events: readonly EngineEvent[] = []) {
        return tx((d) => {
          if (d.prepare(SQL.runExists).get(run.id)) {
            throw new MaelstromError('E_CONFLICT', `a run with id ${run.id} already exists`);
          }
          d.prepare(insertSql('runs', RUN_COLUMNS)).run(...runRow(run));
          const insert = d.prepare(insertSql('tasks', TASK_COLUMNS));
          tasks.forEach((t, i) => {
            if (t.runId !== run.id)
              throw new MaelstromError('E_BAD_REQUEST', `task ${t.id} belongs to run ${t.runId}, not ${run.id}`);
            insert.run(...taskRow(t, i));
          });
          journalled(d, [runCreatedEntry(run, tasks, journal.stamp(), journal.source)]);
          return insertEvents(d, events, run.id);
        });
      },

      async commit(change) {
        return tx((d) => {
          if (!d.prepare(SQL.runExists).get(change.runId)) {
            throw new MaelstromError('E_NOT_FOUND', `no run ${change.runId}`);
          }
          if (change.run) applyRunPatch(d, change.runId, change.run);
          for (const t of change.tasks ?? []) applyTaskPatch(d, change.runId, t.id, t.patch);
          return insertEvents(d, change.events ?? [], change.runId);
        });
      },

      async getRun(id) {
        return read((d) => {
          const row = d.prepare(SQL.getRun).get(id) as Row | undefined;
          return row ? rowRun(row) : undefined;
        });
      },

      async listRuns(options = {}) {
        return read((d) => all(d, listRunsQuery(dialect, options)).map(rowRun));
      },

      async getTasks(runId) {
        return read((d) => (d.prepare(SQL.getTasks).all(runId) as Row[]).map(rowTask));
      },

      async appendEvents(events) {
        return tx((d) => insertEvents(d, events));
      },

      async listEvents(options = {}) {
        return read((d) => all(d, listEventsQuery(options)).map(rowEvent));
      },

      async recordDuration(key: DurationKey, ms: number, at: number) {
        tx((d) => d.prepare(SQL.insertDuration).run(...durationArgs(key, ms, at)));
      },

      async durations(key, limit = 100) {
        return read((d) =>
          (d.prepare(SQL.durations).all(...durationsArgs(key, limit)) as Row[]).map((r) => Number(r.ms)),
        );
      },

      async createToken(record: TokenRecord) {
        tx((d) => {
          if (d.prepare(SQL.tokenExists).get(record.id, record.hash)) {
            throw new MaelstromError('E_CONFLICT', `a token with id ${record.id} or the same secret already exists`);
          }
          d.prepare(SQL.insertToken).run(...tokenArgs(record));
        });
      },

      async findTokenByHash(hash) {
        return read((d) => {
          const row = d.prepare(SQL.tokenByHash).get(hash) as Row | undefined;
          return row ? rowToken(row) : undefined;
        });
      },

      async listTokens() {
        return read((d) => (d.prepare(SQL.listTokens).all() as Row[]).map(rowToken));
      },

      async revokeToken(id, at) {
        tx((d) => {
          const info = d.prepare(SQL.revokeToken).run(at, id);
          if (info.changes === 0) throw new MaelstromError('E_NOT_FOUND', `no token ${id}`);
        });
      },

      async acquireLease(name, holder, options) {
        return leaseTx((d) => {
          const current = leaseOf(d, name);
          // Whoever wrote last (a controller that held the lease before) is heard from: a receive.
          absorbJournal(d, 'the store');
          const decision = decideLease(name, current, { holder, ...options });
          if (!decision.take) return current!;
          const entry = leaseEntry(current, decision.lease, options.now, journal);
          if (entry) journalled(d, [entry]);
          d.prepare(SQL.upsertLease).run(...leaseRow(decision.lease));
          return decision.lease;
        });
      },

      async releaseLease(name, holder) {
        leaseTx((d) => {
          const before = leaseOf(d, name);
          d.prepare(SQL.releaseLease).run(name, holder);
          const entry = releasedEntry(before, holder, journal);
          if (entry) journalled(d, [entry]);
        });
      },

      async handOverLease(name, holder, to) {
        return leaseTx((d) => {
          d.prepare(SQL.handOverLease).run(to, name, holder);
          return leaseOf(d, name);
        });
      },

      async getLease(name) {
        return read((d) => leaseOf(d, name));
      },

      async announceController(record) {
        tx((d) => {
          d.prepare(SQL.upsertController).run(...controllerRow(record));
        });
      },

      async listControllers(options = {}) {
        return read((d) => (d.prepare(SQL.listControllers).all(options.seenSince ?? 0) as Row[]).map(rowController));
      },

      async removeController(id) {
        tx((d) => {
          d.prepare(SQL.removeController).run(id);
        });
      },

      async appendAudit(entry: AuditEntry) {
        return tx((d) => Number(d.prepare(SQL.insertAudit).run(...auditRow(entry)).lastInsertRowid));
      },

      async listAudit(options = {}) {
        return read((d) => all(d, listAuditQuery(options)).map(rowAudit));
      },

      async recordRequest(request) {
        return tx((d) => {
          const stamp = journal.stamp();
          const id = Number(
            d
              .prepare(insertSql('requests', requestColumns))
              .run(...requestRow(request, stamp.hlc).slice(0, requestColumns.length)).lastInsertRowid,
          );
          journalled(d, [requestEntry(id, request, stamp, journal.source)]);
          return id;
        });
      },

      async pendingRequests(options = {}) {
        return read((d) => {
          const rows = all(d, pendingRequestsQuery(options));
          for (const r of rows)
            journal.receive(typeof r.hlc === 'string' ? r.hlc : undefined, `the request of ${String(r.actor)}`);
          return rows.map(rowRequest);
        });
      },

      async getRequest(id) {
        return read((d) => {
          const row = d.prepare(SQL.getRequest).get(id) as Row | undefined;
          return row ? rowRequest(row) : undefined;
        });
      },

      async markRequestApplied(id, { at, outcome, error }) {
        return tx((d) => d.prepare(SQL.markRequestApplied).run(at, outcome, error ?? null, id).changes > 0);
      },

      async recordResolution(record) {
        tx((d) => {
          d.prepare(insertSql('resolver_records', RESOLUTION_COLUMNS)).run(...resolutionRow(record));
        });
      },

      async resolverStats(options = {}) {
        return read((d) => sortStats(all(d, resolverStatsQuery(options)).map(rowStats)));
      },

      async listResolutions(options = {}) {
        return read((d) => all(d, listResolutionsQuery(options)).map(rowResolution).reverse());
      },

      async appendJournal(entries) {
        return tx((d) => {
          const out = entries.map((e) => entryOf(e, journal.stamp(), journal.source));
          journalled(d, out);
          return out;
        });
      },

      async listJournal(options = {}) {
        return read((d) => {
          const q = listJournalQuery(options);
          // Parsed straight from their text: a cut reads thousands of them.
          return (
            d
              .prepare(q.sql)
              .pluck()
              .all(...q.args) as string[]
          ).map((body) => JSON.parse(body) as TimelineEvent);
        });
      },

      async pruneJournal(beforeHlc) {
        return tx((d) => d.prepare(SQL.pruneJournal).run(beforeHlc ? padHlc(beforeHlc) : journal.horizon()).changes);
      },

      async recordDelivery(delivery) {
        return tx((d) =>
          Number(d.prepare(insertSql('deliveries', DELIVERY_COLUMNS)).run(...deliveryRow(delivery)).lastInsertRowid),
        );
      },

      async updateDelivery(id, patch) {
        const cols = deliveryPatchColumns(patch);
        if (cols.length === 0) return;
        tx((d) => {
          const q = updateQuery('deliveries', cols, 'id = ?', [id]);
          if (d.prepare(q.sql).run(...q.args).changes === 0) {
            throw new MaelstromError('E_NOT_FOUND', `no delivery ${id}`);
          }
        });
      },

      async listDeliveries(options = {}) {
        return read((d) => all(d, listDeliveriesQuery(options)).map(rowDelivery));
      },
    };
    return store;
  };
  return make(undefined, false);
}

function currentVersion(d: Database.Database): number {
  const row = d.prepare(SCHEMA_VERSION.current).get() as { v: number | null };
  return row.v ?? 0;
}

function appliedVersions(d: Database.Database): number[] {
  return (d.prepare(SCHEMA_VERSION.applied).all() as { version: number }[]).map((r) => r.version);
}

/** Applies every migration the store does not record yet, in order, each in its own transaction. */
function migrate(d: Database.Database, migrations: readonly Migration[]): void {
  d.exec(SCHEMA_VERSION.create);
  for (const m of pendingMigrations(migrations, appliedVersions(d))) {
    d.transaction(() => {
      for (const sql of m.statements) d.exec(sql);
      d.prepare(SCHEMA_VERSION.record).run(m.version, m.name, Date.now());
    }).immediate();
  }
}

function storeError(e: unknown): MaelstromError {
  if (e instanceof MaelstromError) return e;
  const message = e instanceof Error ? e.message : String(e);
  const code = (e as { code?: string }).code ?? '';
  // A read-only or full file, or one the disk fails under, may be writable again later: the controller holds its
  // runs and tries again.
  const kind = /^SQLITE_READONLY/.test(code)
    ? 'the store is read-only'
    : /^SQLITE_FULL/.test(code)
      ? 'the store is full'
      : /^SQLITE_(IOERR|CANTOPEN)/.test(code)
        ? 'the store cannot be written'
        : undefined;
  return new MaelstromError('E_STORE', kind ? `store: ${kind}: ${message}` : `store: ${message}`, {
    cause: e,
    retryable: kind !== undefined || /SQLITE_BUSY|locked/i.test(message),
  });
}
