/**
 * The drain tests' tables (`tests`, `test_skips`, `tests_halt`, migration 6), written once for both SQL stores: each
 * method is one statement, so each is atomic by itself, and every statement is plain SQL that SQLite and PostgreSQL
 * read alike (`?` placeholders, which the PostgreSQL store numbers). A store hands in how it reads and how it writes.
 */
import { MaelstromError } from '../model/errors.js';
import { compact, num, str, type Row, type SqlValue } from './codec.js';
import type { TestPatch, TestRecord, TestSkip, TestStore, TestsHalt } from './store.js';

/** One statement, with its rows (a write without RETURNING answers none). */
export type Statement = (sql: string, args?: readonly SqlValue[]) => Promise<readonly Row[]>;

const TEST_COLUMNS = {
  id: 'id',
  schedule: 'schedule',
  datacenter: 'datacenter',
  drain: 'drain_plan',
  restore: 'restore_plan',
  dueAt: 'due_at',
  startedAt: 'started_at',
  phase: 'phase',
  drainRunId: 'drain_run_id',
  restoreRunId: 'restore_run_id',
  holdUntil: 'hold_until',
  finishedAt: 'finished_at',
  outcome: 'outcome',
  reason: 'reason',
  drainMs: 'drain_ms',
  restoreMs: 'restore_ms',
  stuckTasks: 'stuck_tasks',
} as const satisfies Record<keyof TestRecord, string>;

type TestKey = keyof typeof TEST_COLUMNS;
const KEYS = Object.keys(TEST_COLUMNS) as TestKey[];
const PATCHABLE = new Set<string>([
  'phase',
  'drainRunId',
  'restoreRunId',
  'holdUntil',
  'finishedAt',
  'outcome',
  'reason',
  'drainMs',
  'restoreMs',
  'stuckTasks',
] satisfies (keyof TestPatch)[]);

const value = (v: unknown): SqlValue => (v === undefined || v === null ? null : (v as string | number));

function rowTest(row: Row): TestRecord {
  return compact({
    id: String(row.id),
    schedule: String(row.schedule),
    datacenter: String(row.datacenter),
    drain: String(row.drain_plan),
    restore: String(row.restore_plan),
    dueAt: num(row.due_at) ?? 0,
    startedAt: num(row.started_at) ?? 0,
    phase: String(row.phase),
    drainRunId: str(row.drain_run_id),
    restoreRunId: str(row.restore_run_id),
    holdUntil: num(row.hold_until),
    finishedAt: num(row.finished_at),
    outcome: str(row.outcome),
    reason: str(row.reason),
    drainMs: num(row.drain_ms),
    restoreMs: num(row.restore_ms),
    stuckTasks: num(row.stuck_tasks),
  } as TestRecord);
}

/** The TestStore of a SQL store, over its read and write statements. */
export function sqlTestStore(read: Statement, write: Statement): TestStore {
  return {
    async createTest(test) {
      const existing = await read('SELECT 1 FROM tests WHERE id = ?', [test.id]);
      if (existing.length > 0) throw new MaelstromError('E_CONFLICT', `a test with id ${test.id} already exists`);
      await write(
        `INSERT INTO tests (${KEYS.map((k) => TEST_COLUMNS[k]).join(', ')}) VALUES (${KEYS.map(() => '?').join(', ')})`,
        KEYS.map((k) => value(test[k])),
      );
    },

    async updateTest(id, patch) {
      // A key named with `undefined` clears its column; a key not named is left alone (as for runs).
      const keys = Object.keys(patch).filter((k) => PATCHABLE.has(k)) as (keyof TestPatch)[];
      const sets = [...keys.map((k) => `${TEST_COLUMNS[k]} = ?`), 'id = id'];
      const rows = await write(`UPDATE tests SET ${sets.join(', ')} WHERE id = ? RETURNING id`, [
        ...keys.map((k) => value(patch[k])),
        id,
      ]);
      if (rows.length === 0) throw new MaelstromError('E_NOT_FOUND', `no test ${id}`);
    },

    async getTest(id) {
      const [row] = await read('SELECT * FROM tests WHERE id = ?', [id]);
      return row ? rowTest(row) : undefined;
    },

    async listTests(options = {}) {
      const where: string[] = [];
      const args: SqlValue[] = [];
      if (options.schedule !== undefined) {
        where.push('schedule = ?');
        args.push(options.schedule);
      }
      if (options.datacenter !== undefined) {
        where.push('datacenter = ?');
        args.push(options.datacenter);
      }
      if (options.active !== undefined) where.push(options.active ? "phase <> 'done'" : "phase = 'done'");
      let sql = `SELECT * FROM tests ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at DESC, id DESC`;
      if (options.limit !== undefined) {
        sql += ' LIMIT ?';
        args.push(options.limit);
      }
      return (await read(sql, args)).map(rowTest);
    },

    async recordSkip(skip) {
      const [row] = await write(
        'INSERT INTO test_skips (schedule, at, datacenter, reason) VALUES (?, ?, ?, ?) RETURNING id',
        [skip.schedule, skip.at, value(skip.datacenter), skip.reason],
      );
      return Number(row?.id);
    },

    async listSkips(options = {}) {
      const args: SqlValue[] = [];
      let sql = 'SELECT * FROM test_skips';
      if (options.schedule !== undefined) {
        sql += ' WHERE schedule = ?';
        args.push(options.schedule);
      }
      sql += ' ORDER BY at DESC, id DESC';
      if (options.limit !== undefined) {
        sql += ' LIMIT ?';
        args.push(options.limit);
      }
      return (await read(sql, args)).map((r): TestSkip => ({
        id: Number(r.id),
        schedule: String(r.schedule),
        at: Number(r.at),
        ...(typeof r.datacenter === 'string' ? { datacenter: r.datacenter } : {}),
        reason: String(r.reason),
      }));
    },

    async testsHalt() {
      const [row] = await read('SELECT * FROM tests_halt WHERE id = 1');
      if (!row) return undefined;
      const halt: TestsHalt = {
        halted: Number(row.halted) !== 0,
        since: Number(row.since),
        actor: String(row.actor),
        ...(typeof row.reason === 'string' ? { reason: row.reason } : {}),
      };
      return halt;
    },

    async setTestsHalt(halt) {
      await write(
        'INSERT INTO tests_halt (id, halted, since, actor, reason) VALUES (1, ?, ?, ?, ?) ' +
          'ON CONFLICT (id) DO UPDATE SET halted = excluded.halted, since = excluded.since, actor = excluded.actor, ' +
          'reason = excluded.reason',
        [halt.halted ? 1 : 0, halt.since, halt.actor, value(halt.reason)],
      );
    },
  };
}
