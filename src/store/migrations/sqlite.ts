/**
 * SQLite schema, as numbered migrations. JSON columns are TEXT; times are INTEGER ms since the epoch.
 * Never edit a released migration: add the next one.
 */
import type { Migration } from './migration.js';

export const sqliteMigrations: readonly Migration[] = [
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
        created_at INTEGER NOT NULL,
        started_at INTEGER,
        finished_at INTEGER,
        reason TEXT,
        critical_path TEXT,
        analysis TEXT,
        actor TEXT
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
        started_at INTEGER,
        finished_at INTEGER,
        reason TEXT,
        stuck INTEGER,
        approved INTEGER,
        overrides TEXT,
        PRIMARY KEY (run_id, id)
      )`,
      `CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT,
        type TEXT NOT NULL,
        time INTEGER NOT NULL,
        body TEXT NOT NULL
      )`,
      'CREATE INDEX events_run ON events (run_id, seq)',
      `CREATE TABLE durations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        template TEXT NOT NULL,
        service TEXT NOT NULL,
        datacenter TEXT NOT NULL,
        ms REAL NOT NULL,
        at INTEGER NOT NULL
      )`,
      'CREATE INDEX durations_key ON durations (template, service, datacenter, at)',
      `CREATE TABLE tokens (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
      )`,
      `CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        time INTEGER NOT NULL,
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
        expires_at INTEGER NOT NULL
      )`,
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
];
