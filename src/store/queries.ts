/**
 * The statements of the SQL stores, written once: the SQLite store runs them synchronously, the PostgreSQL store
 * numbers their `?` placeholders and runs them on a pooled connection, appending `RETURNING …` where it needs an
 * assigned id or a count (SQLite's driver answers those by itself). What a dialect spells differently comes from
 * its `Dialect`; how rows become records, from codec.ts.
 */
import { RunState, isTerminalRun } from '../model/states.js';
import type { Dialect } from './dialect.js';
import { CONTROLLER_COLUMNS, LEASE_COLUMNS, REQUEST_COLUMNS, type SqlValue } from './codec.js';
import { JOURNAL_MIGRATION, journalRange } from './journal.js';
import { checkMigrations, type Migration } from './migrations/migration.js';
import type { DurationKey, Store, TokenRecord } from './store.js';

/** A statement and its arguments. */
export interface Query {
  readonly sql: string;
  readonly args: SqlValue[];
}

/** The options a Store method takes first. */
type Options<K extends keyof Store> = Store[K] extends (options?: infer O) => unknown ? NonNullable<O> : never;

const TERMINAL = RunState.filter(isTerminalRun);

/**
 * What a store's list of migrations gives it (a store may be opened with an older list, as tests do): whether it
 * has the journal, and the columns of `requests` it may write (the requester's HLC came with the journal).
 */
export function schemaOf(migrations: readonly Migration[]): {
  readonly journaling: boolean;
  readonly requestColumns: readonly string[];
} {
  checkMigrations(migrations);
  const journaling = migrations.some((m) => m.version === JOURNAL_MIGRATION);
  return { journaling, requestColumns: journaling ? REQUEST_COLUMNS : REQUEST_COLUMNS.filter((c) => c !== 'hlc') };
}

/** `INSERT INTO table (a, b…) VALUES (?, ?…)`. */
export const insertSql = (table: string, columns: readonly string[]): string =>
  `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;

/** `UPDATE table SET a = ?, b = ?… WHERE where`, with the patch's values before the WHERE clause's arguments. */
export function updateQuery(
  table: string,
  set: readonly (readonly [string, SqlValue])[],
  where: string,
  whereArgs: readonly SqlValue[],
): Query {
  return {
    sql: `UPDATE ${table} SET ${set.map(([c]) => `${c} = ?`).join(', ')} WHERE ${where}`,
    args: [...set.map(([, v]) => v), ...whereArgs],
  };
}

/** `sql`, at most `limit` rows when given. */
function limited(sql: string, args: SqlValue[], limit: number | undefined): Query {
  return limit === undefined ? { sql, args } : { sql: `${sql} LIMIT ?`, args: [...args, limit] };
}

/** Statements with nothing to build. */
export const SQL = {
  runExists: 'SELECT 1 FROM runs WHERE id = ?',
  getRun: 'SELECT * FROM runs WHERE id = ?',
  getTasks: 'SELECT * FROM tasks WHERE run_id = ? ORDER BY position',
  taskExists: 'SELECT 1 FROM tasks WHERE run_id = ? AND id = ?',
  insertEvent: 'INSERT INTO events (run_id, type, time, body, epoch) VALUES (?, ?, ?, ?, ?)',
  insertDuration: 'INSERT INTO durations (template, service, datacenter, plan, ms, at) VALUES (?, ?, ?, ?, ?, ?)',
  durations:
    'SELECT ms FROM durations WHERE template = ? AND service = ? AND datacenter = ? AND plan = ? ' +
    'ORDER BY at DESC, id DESC LIMIT ?',
  tokenExists: 'SELECT 1 FROM tokens WHERE id = ? OR hash = ?',
  insertToken: 'INSERT INTO tokens (id, name, role, hash, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?)',
  tokenByHash: 'SELECT * FROM tokens WHERE hash = ?',
  listTokens: 'SELECT * FROM tokens ORDER BY created_at, id',
  revokeToken: 'UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?',
  getLease: 'SELECT * FROM leases WHERE name = ?',
  // The row of a released lease stays, with its epoch, so the next holder's epoch is larger.
  releaseLease: 'UPDATE leases SET expires_at = 0, handover_to = NULL WHERE name = ? AND holder = ?',
  handOverLease: 'UPDATE leases SET handover_to = ? WHERE name = ? AND holder = ?',
  upsertLease: upsertSql(
    'leases',
    LEASE_COLUMNS,
    'name',
    LEASE_COLUMNS.filter((c) => c !== 'name'),
  ),
  // A controller announcing itself again keeps the time it first started.
  upsertController: upsertSql(
    'controllers',
    CONTROLLER_COLUMNS,
    'id',
    CONTROLLER_COLUMNS.filter((c) => c !== 'id' && c !== 'started_at'),
  ),
  listControllers: 'SELECT * FROM controllers WHERE seen_at >= ? ORDER BY started_at, id',
  removeController: 'DELETE FROM controllers WHERE id = ?',
  insertAudit: 'INSERT INTO audit (time, actor, action, target, reason, details) VALUES (?, ?, ?, ?, ?, ?)',
  getRequest: 'SELECT * FROM requests WHERE id = ?',
  markRequestApplied: 'UPDATE requests SET applied_at = ?, outcome = ?, error = ? WHERE id = ? AND applied_at IS NULL',
  latestHlc: 'SELECT MAX(hlc) AS h FROM journal',
  pruneJournal: 'DELETE FROM journal WHERE hlc < ?',
} as const;

/** Inserts the row, or overwrites every column but the key of the row already there. */
export function upsertSql(table: string, columns: readonly string[], key: string, update: readonly string[]): string {
  return (
    `${insertSql(table, columns)} ON CONFLICT (${key}) DO UPDATE SET ` +
    update.map((c) => `${c} = excluded.${c}`).join(', ')
  );
}

export function tokenArgs(t: TokenRecord): SqlValue[] {
  return [t.id, t.name, t.role, t.hash, t.createdAt, t.revokedAt ?? null];
}

export function durationsArgs(key: DurationKey, limit: number): SqlValue[] {
  return [key.template, key.service, key.datacenter, key.plan, limit];
}

export function durationArgs(key: DurationKey, ms: number, at: number): SqlValue[] {
  return [key.template, key.service, key.datacenter, key.plan, ms, at];
}

/** Newest first; runs created in the same millisecond, last inserted first. */
export function listRunsQuery(d: Dialect, options: Options<'listRuns'>): Query {
  const where: string[] = [];
  const args: SqlValue[] = [];
  if (options.active !== undefined) {
    where.push(`state ${options.active ? 'NOT ' : ''}IN (${TERMINAL.map(() => '?').join(', ')})`);
    args.push(...TERMINAL);
  }
  if (options.plan !== undefined) {
    where.push('plan = ?');
    args.push(options.plan);
  }
  if (options.trigger !== undefined) {
    where.push('trigger_name = ?');
    args.push(options.trigger);
  }
  const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
  return limited(
    `SELECT * FROM runs ${filter} ORDER BY created_at DESC, ${d.runOrder.column} DESC`,
    args,
    options.limit,
  );
}

export function listEventsQuery(options: Options<'listEvents'>): Query {
  const where = ['seq > ?'];
  const args: SqlValue[] = [options.afterSeq ?? 0];
  if (options.runId !== undefined) {
    where.push('run_id = ?');
    args.push(options.runId);
  }
  return limited(`SELECT seq, body FROM events WHERE ${where.join(' AND ')} ORDER BY seq`, args, options.limit);
}

export function listAuditQuery(options: Options<'listAudit'>): Query {
  return limited('SELECT * FROM audit WHERE id > ? ORDER BY id', [options.afterId ?? 0], options.limit);
}

export function pendingRequestsQuery(options: Options<'pendingRequests'>): Query {
  return limited(
    'SELECT * FROM requests WHERE applied_at IS NULL AND id > ? ORDER BY id',
    [options.afterId ?? 0],
    options.limit,
  );
}

const RESOLVER_STATS_SQL = `SELECT diagnosis, resolver, COUNT(*) AS tried,
    SUM(CASE WHEN outcome = 'helped' THEN 1 ELSE 0 END) AS helped,
    SUM(CASE WHEN outcome = 'partly' THEN 1 ELSE 0 END) AS partly
  FROM resolver_records`;

/** Grouped by diagnosis and resolver (sortStats orders them). */
export function resolverStatsQuery(options: Options<'resolverStats'>): Query {
  const service = options.service !== undefined;
  return {
    sql: `${RESOLVER_STATS_SQL}${service ? ' WHERE service = ?' : ''} GROUP BY diagnosis, resolver`,
    args: service ? [options.service] : [],
  };
}

/** The most recent first (listResolutions answers them oldest first). */
export function listResolutionsQuery(options: Options<'listResolutions'>): Query {
  const run = options.runId !== undefined;
  return limited(
    `SELECT * FROM resolver_records${run ? ' WHERE run_id = ?' : ''} ORDER BY id DESC`,
    run ? [options.runId] : [],
    options.limit,
  );
}

/** The bodies only: a cut reads thousands of them. */
export function listJournalQuery(options: Options<'listJournal'>): Query {
  const { where, args } = journalRange(options);
  return limited(`SELECT body FROM journal ${where} ORDER BY hlc, id`, args, options.limit);
}

export function listDeliveriesQuery(options: Options<'listDeliveries'>): Query {
  const state = options.state !== undefined;
  return limited(
    `SELECT * FROM deliveries${state ? ' WHERE state = ?' : ''} ORDER BY id DESC`,
    state ? [options.state] : [],
    options.limit,
  );
}
