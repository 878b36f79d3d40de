/**
 * The store's schema, as numbered migrations, written once for both dialects: the same tables and columns in SQLite
 * and PostgreSQL, so that the row mapping in codec.ts and the queries in queries.ts serve both; `Dialect` spells the
 * few differences (64-bit and floating-point types, the auto-numbered key, JSON functions). JSON columns are text;
 * times are integer milliseconds since the epoch.
 *
 * Never edit a released migration: add the next one. A released migration's statements stay exactly as they were
 * (migrations.test.ts compares them, dialect by dialect, with what was released).
 */
import type { Dialect } from '../dialect.js';
import type { Migration } from './migration.js';

/** Every migration, in order, as `d` spells it. */
export const migrationsFor = (d: Dialect): readonly Migration[] => [
  {
    version: 1,
    name: 'initial',
    statements: [
      `CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        plan TEXT NOT NULL,
        datacenter TEXT NOT NULL,
        direction TEXT NOT NULL,
        state TEXT NOT NULL,
        compiled TEXT NOT NULL,
        created_at ${d.bigint} NOT NULL,
        started_at ${d.bigint},
        finished_at ${d.bigint},
        reason TEXT,
        critical_path TEXT,
        analysis TEXT,
        actor TEXT${d.runOrder.declare ? `,\n        ${d.runOrder.declare}` : ''}
      )`,
      'CREATE INDEX runs_state ON runs (state)',
      'CREATE INDEX runs_plan ON runs (plan, created_at)',
      `CREATE TABLE tasks (
        run_id TEXT NOT NULL REFERENCES runs (id),
        id TEXT NOT NULL,
        position INTEGER NOT NULL,
        state TEXT NOT NULL,
        stage INTEGER NOT NULL,
        stage_state TEXT,
        attempt INTEGER NOT NULL,
        started_at ${d.bigint},
        finished_at ${d.bigint},
        reason TEXT,
        stuck INTEGER,
        approved INTEGER,
        overrides TEXT,
        PRIMARY KEY (run_id, id)
      )`,
      `CREATE TABLE events (
        seq ${d.serialKey},
        run_id TEXT,
        type TEXT NOT NULL,
        time ${d.bigint} NOT NULL,
        body TEXT NOT NULL
      )`,
      'CREATE INDEX events_run ON events (run_id, seq)',
      `CREATE TABLE durations (
        id ${d.serialKey},
        template TEXT NOT NULL,
        service TEXT NOT NULL,
        datacenter TEXT NOT NULL,
        ms ${d.double} NOT NULL,
        at ${d.bigint} NOT NULL
      )`,
      'CREATE INDEX durations_key ON durations (template, service, datacenter, at)',
      `CREATE TABLE tokens (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        created_at ${d.bigint} NOT NULL,
        revoked_at ${d.bigint}
      )`,
      `CREATE TABLE audit (
        id ${d.serialKey},
        time ${d.bigint} NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT,
        reason TEXT,
        details TEXT
      )`,
      'CREATE INDEX audit_time ON audit (time)',
    ],
  },
  {
    version: 2,
    name: 'leases',
    statements: [
      `CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        expires_at ${d.bigint} NOT NULL
      )`,
    ],
  },
  {
    version: 3,
    name: 'requests',
    statements: [
      `CREATE TABLE requests (
        id ${d.serialKey},
        time ${d.bigint} NOT NULL,
        actor TEXT NOT NULL,
        role TEXT NOT NULL,
        run_id TEXT,
        body TEXT NOT NULL,
        applied_at ${d.bigint},
        outcome TEXT,
        error TEXT
      )`,
      'CREATE INDEX requests_pending ON requests (id) WHERE applied_at IS NULL',
      // Requests used to be rows of the audit log (action "request", applied when a "request.applied" row named
      // them). Those still pending move here, so the controller that next drives the store applies them; the audit
      // rows stay as they were.
      `INSERT INTO requests (time, actor, role, run_id, body)
        SELECT a.time, a.actor, COALESCE(${d.json.field('a.details', 'role')}, 'operator'),
          ${d.json.field('a.details', 'runId')}, ${d.json.without('a.details', 'role')}
        FROM audit a
        WHERE a.action = 'request' AND ${d.json.valid('a.details')}
          AND ${d.json.field('a.details', 'kind')} IN ('command', 'halt')
          AND NOT EXISTS (
            SELECT 1 FROM audit b
            WHERE b.action = 'request.applied' AND ${d.json.valid('b.details')}
              AND ${d.json.field('b.details', 'requestId')} = ${d.json.comparable('a.id')}
          )
        ORDER BY a.id`,
    ],
  },
  {
    version: 4,
    name: 'stop intent',
    statements: [
      // Whether a run being stopped ends aborted or halted, kept with its `aborting` state.
      'ALTER TABLE runs ADD COLUMN stop_intent TEXT',
      // Runs stopped before the column existed: the reason text was the only record of the intent.
      `UPDATE runs SET stop_intent = state WHERE state IN ('aborted', 'halted')`,
      `UPDATE runs SET stop_intent = CASE WHEN reason LIKE 'halted by %' THEN 'halted' ELSE 'aborted' END
        WHERE state = 'aborting'`,
    ],
  },
  {
    version: 5,
    name: 'self-regulation',
    statements: [
      // Finished stages a self-regulating run keeps regulated (its shifts at their target), by stage index.
      'ALTER TABLE tasks ADD COLUMN watches TEXT',
      // Which resolution helped for which diagnosis, judged after it propagated and settled: later runs try first
      // what worked.
      `CREATE TABLE resolver_records (
        id ${d.serialKey},
        time ${d.bigint} NOT NULL,
        run_id TEXT NOT NULL,
        task_id TEXT NOT NULL,
        service TEXT NOT NULL,
        datacenter TEXT NOT NULL,
        diagnosis TEXT NOT NULL,
        resolver TEXT NOT NULL,
        outcome TEXT NOT NULL,
        detail TEXT
      )`,
      'CREATE INDEX resolver_records_kind ON resolver_records (diagnosis, resolver)',
      'CREATE INDEX resolver_records_run ON resolver_records (run_id, id)',
    ],
  },
  {
    version: 6,
    name: 'drain tests',
    statements: [
      // The schedule and test that started a run (JSON); none for a run an operator started.
      'ALTER TABLE runs ADD COLUMN origin TEXT',
      // A drain test's run stopped for an incident: the incident's run.
      'ALTER TABLE runs ADD COLUMN handed_over_to TEXT',
      // Stuck detection counts durations per plan too; rows from before have none and no longer count.
      'ALTER TABLE durations ADD COLUMN plan TEXT',
      'CREATE INDEX durations_plan_key ON durations (template, service, datacenter, plan, at)',
      `CREATE TABLE tests (
        id TEXT PRIMARY KEY,
        schedule TEXT NOT NULL,
        datacenter TEXT NOT NULL,
        drain_plan TEXT NOT NULL,
        restore_plan TEXT NOT NULL,
        due_at ${d.bigint} NOT NULL,
        started_at ${d.bigint} NOT NULL,
        phase TEXT NOT NULL,
        drain_run_id TEXT,
        restore_run_id TEXT,
        hold_until ${d.bigint},
        finished_at ${d.bigint},
        outcome TEXT,
        reason TEXT,
        drain_ms ${d.double},
        restore_ms ${d.double},
        stuck_tasks INTEGER
      )`,
      'CREATE INDEX tests_datacenter ON tests (datacenter, started_at)',
      'CREATE INDEX tests_schedule ON tests (schedule, started_at)',
      `CREATE TABLE test_skips (
        id ${d.serialKey},
        schedule TEXT NOT NULL,
        at ${d.bigint} NOT NULL,
        datacenter TEXT,
        reason TEXT NOT NULL
      )`,
      'CREATE INDEX test_skips_at ON test_skips (schedule, at)',
      // The tests' kill switch: one row at most.
      `CREATE TABLE tests_halt (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        halted INTEGER NOT NULL,
        since ${d.bigint} NOT NULL,
        actor TEXT NOT NULL,
        reason TEXT
      )`,
    ],
  },
  {
    version: 7,
    name: 'lease epoch and fencing',
    statements: [
      // The epoch grows at every change of holder; writes and backend actions carry it and a stale one is refused.
      `ALTER TABLE leases ADD COLUMN epoch ${d.bigint} NOT NULL DEFAULT 0`,
      // When the holder last renewed (a holder that stopped renewing is dead or stalled), and whom it hands over to.
      `ALTER TABLE leases ADD COLUMN renewed_at ${d.bigint}`,
      'ALTER TABLE leases ADD COLUMN handover_to TEXT',
      // The epoch of the controller that committed each event: along the journal it never decreases.
      `ALTER TABLE events ADD COLUMN epoch ${d.bigint}`,
      // Every controller on the store, as it announces itself: where it runs and answers, and whether it leads.
      `CREATE TABLE controllers (
        id TEXT PRIMARY KEY,
        datacenter TEXT,
        url TEXT,
        role TEXT NOT NULL,
        epoch ${d.bigint},
        started_at ${d.bigint} NOT NULL,
        seen_at ${d.bigint} NOT NULL
      )`,
    ],
  },
  {
    version: 8,
    name: 'journal',
    statements: [
      // The journal of changes of the retrospective timeline: HLCs as 20-digit text (text order is number order).
      `CREATE TABLE journal (
        id ${d.serialKey},
        hlc TEXT NOT NULL,
        wall ${d.bigint} NOT NULL,
        source TEXT NOT NULL,
        type TEXT NOT NULL,
        run_id TEXT,
        body TEXT NOT NULL
      )`,
      'CREATE INDEX journal_hlc ON journal (hlc, id)',
      // The requesting process's clock, absorbed by the controller that reads the request.
      'ALTER TABLE requests ADD COLUMN hlc TEXT',
    ],
  },
  {
    version: 9,
    name: 'people in the loop',
    statements: [
      // The trigger that made a run (for its minInterval) and its proposal: the alerts, when it lapses, who approved.
      'ALTER TABLE runs ADD COLUMN trigger_name TEXT',
      'ALTER TABLE runs ADD COLUMN proposal TEXT',
      'CREATE INDEX runs_trigger ON runs (trigger_name, created_at)',
      // Each operator's approval of a task's approval stage (approvers: N needs N different ones).
      'ALTER TABLE tasks ADD COLUMN approvals TEXT',
      `CREATE TABLE deliveries (
        id ${d.serialKey},
        notifier TEXT NOT NULL,
        event TEXT NOT NULL,
        run_id TEXT,
        task_id TEXT,
        summary TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        created_at ${d.bigint} NOT NULL,
        last_attempt_at ${d.bigint},
        delivered_at ${d.bigint},
        error TEXT,
        body TEXT NOT NULL,
        content_type TEXT NOT NULL
      )`,
      'CREATE INDEX deliveries_state ON deliveries (state, id)',
    ],
  },
];
