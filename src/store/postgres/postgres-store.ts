/**
 * The shared store: PostgreSQL, for several controllers (one acts, the others stand by) or an operator who wants
 * the journal in the database they already run. Same tables and semantics as the SQLite store; passes the same
 * conformance suite.
 *
 * Every write is one transaction that first takes a transaction-scoped advisory lock, so writes from all
 * controllers are serialised: event sequence numbers are assigned in commit order, and a reader catching up with
 * `afterSeq` never misses an event committed later under a smaller number.
 */
import pg from 'pg';
import { z } from 'zod';
import type { EngineEvent } from '../../model/events.js';
import { MaelstromError } from '../../model/errors.js';
import type {
  AuditEntry,
  DurationKey,
  Fence,
  Lease,
  RunPatch,
  RunRecord,
  Store,
  TaskPatch,
  TaskRecord,
  TokenRecord,
} from '../store.js';
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
  type SqlValue,
} from '../codec.js';
import { postgresDialect as dialect } from '../dialect.js';
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
  type Query as Statement,
} from '../queries.js';
import { pendingMigrations, schemaVersionSql, type Migration } from '../migrations/migration.js';
import { postgresMigrations } from '../migrations/postgres.js';
import { sqlTestStore } from '../tests-sql.js';
import { decideLease, fenceHolds, fencedError } from '../lease-rule.js';
import {
  JOURNAL_COLUMNS,
  createJournal,
  entryOf,
  eventEntry,
  journalRow,
  leaseEntry,
  padHlc,
  releasedEntry,
  requestEntry,
  rowJournal,
  runCreatedEntry,
  unpadHlc,
  type JournalOptions,
} from '../journal.js';
import type { TimelineEvent } from '../../model/timeline.js';

export const PostgresStoreConfig = z.strictObject({
  /** A connection string: postgres://user:password@host:port/database */
  url: z.string().min(1),
  /** Connections held open at most. */
  poolSize: z.number().int().positive().default(4),
});
export type PostgresStoreConfig = z.input<typeof PostgresStoreConfig>;

/** Keys of the advisory locks: one serialises writes, one serialises migrations. */
const WRITE_LOCK = 7_311_001;
const MIGRATE_LOCK = 7_311_002;
/** Well under the lease's time to live, and far over any transaction of the store's (a few statements). */
const IDLE_IN_TRANSACTION_MS = 3_000;
/** Deliveries take their own lock: a notifier's bookkeeping never waits for, or holds up, a run's commit. */
const DELIVERY_LOCK = 7_311_003;
const SCHEMA_VERSION = schemaVersionSql(dialect);

type Query = (sql: string, args?: readonly SqlValue[]) => Promise<Row[]>;
/** The rows of a built statement. */
const runQuery = (q: Query, s: Statement): Promise<Row[]> => q(s.sql, s.args);

/** `?` placeholders (as the SQLite store writes them) to PostgreSQL's `$1, $2…`. */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

export interface PostgresStore extends Store {
  schemaVersion(): Promise<number>;
}

export function createPostgresStore(
  config: PostgresStoreConfig,
  migrations: readonly Migration[] = postgresMigrations,
  journalOptions: JournalOptions = {},
): PostgresStore {
  const { url, poolSize } = PostgresStoreConfig.parse(config);
  const { journaling, requestColumns } = schemaOf(migrations);
  const journal = createJournal(journalOptions);
  let pool: pg.Pool | undefined;

  const open = (): pg.Pool => {
    if (!pool) throw new MaelstromError('E_STORE', 'the store is not open (call init() first)');
    return pool;
  };
  const runner =
    (client: pg.PoolClient | pg.Pool): Query =>
    async (sql, args = []) =>
      (await client.query(numbered(sql), [...args])).rows as Row[];

  const read = async <T>(fn: (q: Query) => Promise<T>): Promise<T> => {
    try {
      return await fn(runner(open()));
    } catch (e) {
      throw storeError(e);
    }
  };

  const plainTx = async <T>(fn: (q: Query) => Promise<T>, lock = WRITE_LOCK): Promise<T> => {
    let client: pg.PoolClient;
    try {
      client = await open().connect();
    } catch (e) {
      throw storeError(e);
    }
    // A connection cut while checked out (the server restarting) emits an error the pool no longer listens for:
    // without a listener that would end the process. The query under way fails with it, which is what reports it.
    const ignore = (): void => undefined;
    client.on('error', ignore);
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [lock]);
      const result = await fn(runner(client));
      await client.query('COMMIT');
      client.off('error', ignore);
      client.release();
      return result;
    } catch (e) {
      // A connection that cannot even roll back is broken: it leaves the pool rather than fail the next caller.
      const broken = await client.query('ROLLBACK').then(
        () => false,
        () => true,
      );
      client.off('error', ignore);
      client.release(broken ? (e as Error) : undefined);
      throw storeError(e);
    }
  };

  const leaseOf = async (q: Query, name: string): Promise<Lease | undefined> => {
    const [row] = await q(SQL.getLease, [name]);
    return row ? rowLease(row) : undefined;
  };

  const journalled = async (q: Query, entries: readonly TimelineEvent[]): Promise<void> => {
    if (entries.length === 0 || !journaling) return;
    const width = JOURNAL_COLUMNS.length;
    // One statement for all of them: a round trip each would be most of a commit's time.
    await q(
      `INSERT INTO journal (${JOURNAL_COLUMNS.join(', ')}) VALUES ` +
        entries.map(() => `(${new Array<string>(width).fill('?').join(', ')})`).join(', '),
      entries.flatMap(journalRow),
    );
    if (journal.due(entries.length)) await q(SQL.pruneJournal, [journal.horizon()]);
  };

  /** The latest HLC any process wrote to the journal: reading it is a receive from that process. */
  const absorbJournal = async (q: Query, from: string): Promise<void> => {
    if (!journaling) return;
    const [row] = await q(SQL.latestHlc);
    if (typeof row?.h === 'string') journal.receive(unpadHlc(row.h), from);
  };

  /** The store, or (given a fence) its view whose writes check the fence first. */
  const make = (fence: Fence | undefined, check: boolean): PostgresStore => {
    /**
     * One write transaction under the write lock. A fenced view checks its lease epoch first, under the same lock and
     * in the same transaction as the write, so nothing of a controller whose lease moved on is committed.
     */
    const tx = <T>(fn: (q: Query) => Promise<T>, lock = WRITE_LOCK): Promise<T> =>
      plainTx(async (q) => {
        if (fence && check && lock === WRITE_LOCK) {
          const current = await leaseOf(q, fence.lease);
          if (!fenceHolds(fence, current)) throw fencedError(fence, current);
        }
        return fn(q);
      }, lock);

    const insertEvents = async (q: Query, events: readonly EngineEvent[], runId?: string): Promise<EngineEvent[]> => {
      const out: EngineEvent[] = [];
      const entries: TimelineEvent[] = [];
      const epoch = fence?.epoch;
      for (const e of events) {
        const [row] = await q(`${SQL.insertEvent} RETURNING seq`, [
          e.runId ?? runId ?? null,
          e.type,
          e.time,
          eventBody(e, epoch),
          epoch ?? null,
        ]);
        const saved = { ...e, seq: Number(row?.seq), ...(epoch !== undefined ? { epoch } : {}) };
        out.push(saved);
        entries.push(eventEntry({ ...saved, runId: e.runId ?? runId } as EngineEvent, journal.stamp(), journal.source));
      }
      // The event's HLC is the journal's business: the events themselves stay as the engine wrote them.
      await journalled(q, entries);
      return out;
    };

    const applyRunPatch = async (q: Query, runId: string, patch: RunPatch): Promise<void> => {
      const cols = runPatchColumns(patch);
      if (cols.length > 0) await runQuery(q, updateQuery('runs', cols, 'id = ?', [runId]));
    };

    const applyTaskPatch = async (q: Query, runId: string, id: string, patch: TaskPatch): Promise<void> => {
      // One round trip: the update answers whether the task is there (with no column to set, it sets its key).
      const cols = taskPatchColumns(patch);
      const found = await q(
        `UPDATE tasks SET ${[...cols.map(([c]) => `${c} = ?`), 'run_id = run_id'].join(', ')} WHERE run_id = ? AND id = ? RETURNING id`,
        [...cols.map(([, v]) => v), runId, id],
      );
      if (found.length === 0) throw new MaelstromError('E_NOT_FOUND', `run ${runId} has no task ${id}`);
    };

    const appliedVersions = async (q: Query): Promise<number[]> =>
      (await q(SCHEMA_VERSION.applied)).map((r) => Number(r.version));

    const currentVersion = async (q: Query): Promise<number> => {
      const [row] = await q(SCHEMA_VERSION.current);
      return row?.v === null || row?.v === undefined ? 0 : Number(row.v);
    };

    return {
      ...sqlTestStore(
        (sql, args) => read((q) => q(sql, args)),
        (sql, args) => tx((q) => q(sql, args)),
      ),

      fenced: (f, o) => make(f, o?.check ?? true),

      async init() {
        if (pool) return;
        // Bounded waits: a server that went away fails a call within seconds (the controller then holds its runs and
        // reconnects) instead of leaving it hanging; a query waits at most for another controller's transaction.
        const p = new pg.Pool({
          connectionString: url,
          max: poolSize,
          connectionTimeoutMillis: 5_000,
          query_timeout: 20_000,
          // A controller frozen inside a transaction (SIGSTOP, a VM paused) would hold the write lock for as long as
          // it is frozen, and no standby could take over: the server ends such a session, and its transaction, first.
          idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
          keepAlive: true,
        });
        // An idle connection that breaks (the server restarted) must not crash the process; the next query reports it.
        p.on('error', () => undefined);
        pool = p;
        try {
          // Under the migration lock: two controllers starting together must not race to create it.
          await tx((q) => q(SCHEMA_VERSION.create), MIGRATE_LOCK);
          for (const m of migrations) {
            // Each under the lock, deciding afresh: another controller may have applied it meanwhile.
            await tx(async (q) => {
              if (!pendingMigrations(migrations, await appliedVersions(q)).includes(m)) return;
              for (const sql of m.statements) await q(sql);
              await q(SCHEMA_VERSION.record, [m.version, m.name, Date.now()]);
            }, MIGRATE_LOCK);
          }
          // A store with no migration to apply still refuses to open when it records a version this one does not know.
          pendingMigrations(migrations, await appliedVersions(runner(p)));
          if (journaling) await runner(p)(SQL.pruneJournal, [journal.horizon()]);
        } catch (e) {
          pool = undefined;
          await p.end().catch(() => undefined);
          throw storeError(e);
        }
      },

      async close() {
        const p = pool;
        pool = undefined;
        await p?.end();
      },

      schemaVersion: () => read(currentVersion),

      async createRun(run: RunRecord, tasks: readonly TaskRecord[], events: readonly EngineEvent[] = []) {
        return tx(async (q) => {
          if ((await q(SQL.runExists, [run.id])).length > 0) {
            throw new MaelstromError('E_CONFLICT', `a run with id ${run.id} already exists`);
          }
          await q(insertSql('runs', RUN_COLUMNS), runRow(run));
          for (const [i, t] of tasks.entries()) {
            if (t.runId !== run.id)
              throw new MaelstromError('E_BAD_REQUEST', `task ${t.id} belongs to run ${t.runId}, not ${run.id}`);
            await q(insertSql('tasks', TASK_COLUMNS), taskRow(t, i));
          }
          await journalled(q, [runCreatedEntry(run, tasks, journal.stamp(), journal.source)]);
          return insertEvents(q, events, run.id);
        });
      },

      async commit(change) {
        return tx(async (q) => {
          if ((await q(SQL.runExists, [change.runId])).length === 0)
            throw new MaelstromError('E_NOT_FOUND', `no run ${change.runId}`);
          if (change.run) await applyRunPatch(q, change.runId, change.run);
          for (const t of change.tasks ?? []) await applyTaskPatch(q, change.runId, t.id, t.patch);
          return insertEvents(q, change.events ?? [], change.runId);
        });
      },

      getRun: (id) =>
        read(async (q) => {
          const [row] = await q(SQL.getRun, [id]);
          return row ? rowRun(row) : undefined;
        }),

      listRuns: (options = {}) => read(async (q) => (await runQuery(q, listRunsQuery(dialect, options))).map(rowRun)),

      getTasks: (runId) => read(async (q) => (await q(SQL.getTasks, [runId])).map(rowTask)),

      appendEvents: (events) => tx((q) => insertEvents(q, events)),

      listEvents: (options = {}) => read(async (q) => (await runQuery(q, listEventsQuery(options))).map(rowEvent)),

      async recordDuration(key: DurationKey, ms: number, at: number) {
        await tx((q) => q(SQL.insertDuration, durationArgs(key, ms, at)));
      },

      durations: (key, limit = 100) =>
        read(async (q) => (await q(SQL.durations, durationsArgs(key, limit))).map((r) => Number(r.ms))),

      async createToken(record: TokenRecord) {
        await tx(async (q) => {
          if ((await q(SQL.tokenExists, [record.id, record.hash])).length > 0) {
            throw new MaelstromError('E_CONFLICT', `a token with id ${record.id} or the same secret already exists`);
          }
          await q(SQL.insertToken, tokenArgs(record));
        });
      },

      findTokenByHash: (hash) =>
        read(async (q) => {
          const [row] = await q(SQL.tokenByHash, [hash]);
          return row ? rowToken(row) : undefined;
        }),

      listTokens: () => read(async (q) => (await q(SQL.listTokens)).map(rowToken)),

      async revokeToken(id, at) {
        await tx(async (q) => {
          const rows = await q(`${SQL.revokeToken} RETURNING id`, [at, id]);
          if (rows.length === 0) throw new MaelstromError('E_NOT_FOUND', `no token ${id}`);
        });
      },

      acquireLease: (name, holder, options) =>
        plainTx(async (q) => {
          const current = await leaseOf(q, name);
          // Whoever wrote last (a controller that held the lease before) is heard from: a receive.
          await absorbJournal(q, 'the store');
          const decision = decideLease(name, current, { holder, ...options });
          if (!decision.take) return current!;
          const entry = leaseEntry(current, decision.lease, options.now, journal);
          if (entry) await journalled(q, [entry]);
          await q(SQL.upsertLease, leaseRow(decision.lease));
          return decision.lease;
        }),

      releaseLease: async (name, holder) => {
        await plainTx(async (q) => {
          const before = await leaseOf(q, name);
          await q(SQL.releaseLease, [name, holder]);
          const entry = releasedEntry(before, holder, journal);
          if (entry) await journalled(q, [entry]);
        });
      },

      handOverLease: (name, holder, to) =>
        plainTx(async (q) => {
          await q(SQL.handOverLease, [to, name, holder]);
          return leaseOf(q, name);
        }),

      recordResolution: (record) =>
        tx(async (q) => {
          await q(insertSql('resolver_records', RESOLUTION_COLUMNS), resolutionRow(record));
        }),

      resolverStats: (options = {}) =>
        read(async (q) => sortStats((await runQuery(q, resolverStatsQuery(options))).map(rowStats))),

      listResolutions: (options = {}) =>
        read(async (q) => (await runQuery(q, listResolutionsQuery(options))).map(rowResolution).reverse()),

      getLease: (name) => read((q) => leaseOf(q, name)),

      async announceController(record) {
        await plainTx(async (q) => {
          await q(SQL.upsertController, controllerRow(record));
        });
      },

      listControllers: (options = {}) =>
        read(async (q) => (await q(SQL.listControllers, [options.seenSince ?? 0])).map(rowController)),

      async removeController(id) {
        await plainTx(async (q) => {
          await q(SQL.removeController, [id]);
        });
      },

      appendAudit: (entry: AuditEntry) =>
        tx(async (q) => {
          const [row] = await q(`${SQL.insertAudit} RETURNING id`, auditRow(entry));
          return Number(row?.id);
        }),

      listAudit: (options = {}) => read(async (q) => (await runQuery(q, listAuditQuery(options))).map(rowAudit)),

      recordRequest: (request) =>
        tx(async (q) => {
          const stamp = journal.stamp();
          const [row] = await q(
            `${insertSql('requests', requestColumns)} RETURNING id`,
            requestRow(request, stamp.hlc).slice(0, requestColumns.length),
          );
          const id = Number(row?.id);
          await journalled(q, [requestEntry(id, request, stamp, journal.source)]);
          return id;
        }),

      pendingRequests: (options = {}) =>
        read(async (q) => {
          const rows = await runQuery(q, pendingRequestsQuery(options));
          for (const r of rows)
            journal.receive(typeof r.hlc === 'string' ? r.hlc : undefined, `the request of ${String(r.actor)}`);
          return rows.map(rowRequest);
        }),

      getRequest: (id) =>
        read(async (q) => {
          const [row] = await q(SQL.getRequest, [id]);
          return row ? rowRequest(row) : undefined;
        }),

      markRequestApplied: (id, { at, outcome, error }) =>
        tx(async (q) => {
          const rows = await q(`${SQL.markRequestApplied} RETURNING id`, [at, outcome, error ?? null, id]);
          return rows.length > 0;
        }),

      appendJournal: (entries) =>
        tx(async (q) => {
          const out = entries.map((e) => entryOf(e, journal.stamp(), journal.source));
          await journalled(q, out);
          return out;
        }),

      listJournal: (options = {}) => read(async (q) => (await runQuery(q, listJournalQuery(options))).map(rowJournal)),

      pruneJournal: (beforeHlc) =>
        tx(
          async (q) =>
            (await q(`${SQL.pruneJournal} RETURNING id`, [beforeHlc ? padHlc(beforeHlc) : journal.horizon()])).length,
        ),

      recordDelivery: (delivery) =>
        tx(async (q) => {
          const [row] = await q(`${insertSql('deliveries', DELIVERY_COLUMNS)} RETURNING id`, deliveryRow(delivery));
          return Number(row?.id);
        }, DELIVERY_LOCK),

      updateDelivery: async (id, patch) => {
        const cols = deliveryPatchColumns(patch);
        if (cols.length === 0) return;
        await tx(async (q) => {
          const update = updateQuery('deliveries', cols, 'id = ?', [id]);
          const rows = await q(`${update.sql} RETURNING id`, update.args);
          if (rows.length === 0) throw new MaelstromError('E_NOT_FOUND', `no delivery ${id}`);
        }, DELIVERY_LOCK);
      },

      listDeliveries: (options = {}) =>
        read(async (q) => (await runQuery(q, listDeliveriesQuery(options))).map(rowDelivery)),
    };
  };
  return make(undefined, false);
}

/** SQLSTATE classes and codes of a server that is away, restarting, read-only or full: worth trying again later. */
const READ_ONLY = new Set(['25006']);
const FULL = new Set(['53100', '53000', '53200', '54000']);
const AWAY = /^(08|57P)/;
/** idle_in_transaction_session_timeout ended the session. */
const IDLE_ENDED = '25P03';
const SOCKET = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

function storeError(e: unknown): MaelstromError {
  if (e instanceof MaelstromError) return e;
  const message = e instanceof Error ? e.message : String(e);
  const code = (e as { code?: string }).code ?? '';
  // A connection that broke mid-query has no code: pg says so in words.
  const broken = /Connection terminated|connection timeout|timeout exceeded|not queryable|ended/i.test(message);
  const kind = READ_ONLY.has(code)
    ? 'the store is read-only'
    : FULL.has(code)
      ? 'the store is full'
      : AWAY.test(code) || SOCKET.has(code) || broken
        ? 'the store does not answer'
        : code === IDLE_ENDED
          ? 'the store ended a transaction this controller left idle (was it frozen?)'
          : undefined;
  // Serialisation conflicts may succeed on a second try too.
  const retryable = kind !== undefined || code === '40001' || code === '40P01';
  return new MaelstromError('E_STORE', kind ? `store: ${kind}: ${message}` : `store: ${message}`, {
    cause: e,
    retryable,
  });
}
