/**
 * Where the controller keeps everything it must not lose: runs, task and stage progress, events, task-duration
 * history, API tokens, the audit log and operator requests from other processes. SQLite (embedded, the default)
 * and PostgreSQL implement it and pass the same conformance suite. Every write is committed before the call
 * returns, so the engine can persist a state change before acting on it.
 *
 * The run-related part is defined by the engine's needs (see below); tokens and audit are used by the server.
 */
import type { Approval, Delivery, DeliveryState, Proposal } from '../model/api.js';
import type { CompiledPlan } from '../model/compiled.js';
import type { EngineEvent } from '../model/events.js';
import type { ResolverRecord, ResolverStats } from '../model/regulation.js';
import type { Role } from '../model/roles.js';
import type { RunOrigin } from '../model/api.js';
import type { RunState, StopIntent, TaskState, TestOutcome, TestPhase } from '../model/states.js';
import type { TimelineEvent } from '../model/timeline.js';

export type { Role } from '../model/roles.js';

export interface TokenRecord {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  /** SHA-256 of the secret, hex; the secret itself is never stored. */
  readonly hash: string;
  readonly createdAt: number;
  readonly revokedAt?: number;
}

export interface AuditEntry {
  readonly id?: number;
  readonly time: number;
  readonly actor: string;
  readonly action: string;
  readonly target?: string;
  readonly reason?: string;
  readonly details?: unknown;
}

export interface TokenStore {
  createToken(record: TokenRecord): Promise<void>;
  findTokenByHash(hash: string): Promise<TokenRecord | undefined>;
  listTokens(): Promise<readonly TokenRecord[]>;
  revokeToken(id: string, at: number): Promise<void>;
}

export interface AuditLog {
  appendAudit(entry: AuditEntry): Promise<number>;
  listAudit(options?: { readonly limit?: number; readonly afterId?: number }): Promise<readonly AuditEntry[]>;
}

// ------------------------------------------------------------------------------------------------ Runs
// CONTRACT used by the engine (writer), the server (reader) and the store implementations. Additive changes only.

export interface RunRecord {
  readonly id: string;
  readonly plan: string;
  readonly datacenter: string;
  readonly direction: 'drain' | 'restore';
  readonly state: RunState;
  /** The compiled plan the run executes, frozen at start so that a resumed run does exactly the same thing. */
  readonly compiled: CompiledPlan;
  readonly createdAt: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly reason?: string;
  /** After the run: the chain of task ids that determined its duration, with the analysis (JSON). */
  readonly criticalPath?: readonly string[];
  readonly analysis?: unknown;
  /** Who started it. */
  readonly actor?: string;
  /** How a run being stopped ends (aborted or halted), written in the same commit as its `aborting` state. */
  readonly stopIntent?: StopIntent;
  /** The schedule and test that started it; absent for a run an operator started (an incident, for the schedules). */
  readonly origin?: RunOrigin;
  /** A drain test's run stopped for an incident: the incident's run, which took the datacenter over. */
  readonly handedOverTo?: string;
  /** The trigger that made the run (an alert proposed or started it), kept in its own column for minInterval. */
  readonly trigger?: string;
  /** The trigger's alerts and, for a proposed run, when it lapses and who approved it. */
  readonly proposal?: Proposal;
}

export interface TaskRecord {
  readonly runId: string;
  readonly id: string;
  readonly state: TaskState;
  /** Index of the current stage (the next to run when pending or resumed). */
  readonly stage: number;
  /** Stage-local progress (JSON), e.g. a shift's steps so far, so an interrupted stage can continue. */
  readonly stageState?: unknown;
  readonly attempt: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly reason?: string;
  readonly stuck?: boolean;
  readonly approved?: boolean;
  /** Each operator's approval of its approval stage; `approved` is set once enough different operators gave one. */
  readonly approvals?: readonly Approval[];
  /** Conditions (by name or expression) and dependencies (task ids) an operator overrode. */
  readonly overrides?: { readonly conditions: readonly string[]; readonly dependencies: readonly string[] };
  /** Finished stages still kept regulated while the run goes on (self-regulating shifts), by stage index. */
  readonly watches?: Readonly<Record<string, WatchRecord>>;
}

/** A finished stage kept regulated by its kind's watcher: what it needs to carry on after a restart. */
export interface WatchRecord {
  /** The stage kind whose watcher keeps it (`traffic.shift`). */
  readonly uses: string;
  /** The stage's resolved `with`. */
  readonly with: Readonly<Record<string, unknown>>;
  /** The watcher's own progress (JSON). */
  readonly state: unknown;
  /** At its target: the run may finish. False while it has moved traffic back. */
  readonly settled: boolean;
}

export type RunPatch = Partial<
  Pick<
    RunRecord,
    | 'state'
    | 'startedAt'
    | 'finishedAt'
    | 'reason'
    | 'criticalPath'
    | 'analysis'
    | 'stopIntent'
    | 'handedOverTo'
    | 'proposal'
  >
>;
export type TaskPatch = Partial<Omit<TaskRecord, 'runId' | 'id'>>;

/** Identifies task durations for stuck detection: a template's task for a service, in a datacenter, in a plan. */
export interface DurationKey {
  readonly template: string;
  readonly service: string;
  readonly datacenter: string;
  readonly plan: string;
}

export interface RunStore {
  /** Creates the run with all its tasks, atomically. */
  createRun(
    run: RunRecord,
    tasks: readonly TaskRecord[],
    events?: readonly EngineEvent[],
  ): Promise<readonly EngineEvent[]>;
  /**
   * Applies a patch to the run and/or tasks and appends events, all in one transaction; returns the events with
   * their sequence numbers. The engine calls this before acting on the change it records.
   */
  commit(change: {
    readonly runId: string;
    readonly run?: RunPatch;
    readonly tasks?: readonly { readonly id: string; readonly patch: TaskPatch }[];
    readonly events?: readonly EngineEvent[];
  }): Promise<readonly EngineEvent[]>;
  getRun(id: string): Promise<RunRecord | undefined>;
  listRuns(options?: {
    readonly active?: boolean;
    readonly plan?: string;
    /** Only the runs this trigger made. */
    readonly trigger?: string;
    readonly limit?: number;
  }): Promise<readonly RunRecord[]>;
  getTasks(runId: string): Promise<readonly TaskRecord[]>;
  /** Events not tied to one run's transaction (alerts, halts). */
  appendEvents(events: readonly EngineEvent[]): Promise<readonly EngineEvent[]>;
  listEvents(options?: {
    readonly runId?: string;
    readonly afterSeq?: number;
    readonly limit?: number;
  }): Promise<readonly EngineEvent[]>;
  recordDuration(key: DurationKey, ms: number, at: number): Promise<void>;
  /** Most recent durations first, at most `limit`. */
  durations(key: DurationKey, limit?: number): Promise<readonly number[]>;
}

/** Who may act on the runs of a store: one controller at a time holds the lease and renews it. */
export interface Lease {
  readonly name: string;
  readonly holder: string;
  readonly expiresAt: number;
  /**
   * Grows by one each time the lease is taken by a holder that did not hold it a moment before (another controller,
   * or the same one after its lease ran out or was given up); unchanged by renewals. Writes and backend actions carry
   * it, and anything carrying a smaller one than the store's is refused: a controller that stalled and woke after
   * its lease moved on can no longer commit or act.
   */
  readonly epoch: number;
  /** When the holder last took or renewed it; a holder that stopped renewing is dead or stalled. */
  readonly renewedAt?: number;
  /** The standby the holder is handing the lease to: only it may take the lease before it runs out. */
  readonly handoverTo?: string;
}

export interface LeaseStore {
  /**
   * Takes or renews lease `name` for `holder` until `until`, when it is free, expired at `now` (another holder's
   * lease counts as running `skewMs` longer, for the clocks of two hosts differ), already `holder`'s, handed over
   * to `holder`, or held by `takeFrom` (a holder known to be dead). Answers the lease as it stands afterwards,
   * which names `holder` exactly when it was taken; decided and written in one transaction, which raises the epoch
   * when the holder changes or the lease had run out.
   */
  acquireLease(
    name: string,
    holder: string,
    options: { readonly now: number; readonly until: number; readonly takeFrom?: string; readonly skewMs?: number },
  ): Promise<Lease>;
  /** Gives the lease up, if `holder` has it (its epoch stays, so the next holder's is larger). */
  releaseLease(name: string, holder: string): Promise<void>;
  /**
   * Hands the lease `holder` has to `to`: from now on only `to` may take it before it runs out. Answers the lease as
   * it stands (unchanged, naming another holder, when `holder` no longer has it).
   */
  handOverLease(name: string, holder: string, to: string): Promise<Lease | undefined>;
  /** The lease as it stands, if it was ever taken. */
  getLease(name: string): Promise<Lease | undefined>;
}

/**
 * A holder's claim on a lease at an epoch: a store view made with `fenced(fence)` checks it in the same transaction
 * as every write, and refuses the write with E_FENCED when the lease has moved to a later epoch; the events it
 * writes record the epoch.
 */
export interface Fence {
  readonly lease: string;
  readonly holder: string;
  readonly epoch: number;
}

// ------------------------------------------------------------------------------------------ Controllers

/** A controller process on a shared store, as it announces itself every few seconds. */
export interface ControllerRecord {
  /** Its lease holder name, `host/pid/nonce`. */
  readonly id: string;
  /** The datacenter it runs in, when declared (`--datacenter`). */
  readonly datacenter?: string;
  /** Where its API answers. */
  readonly url?: string;
  readonly role: 'leader' | 'standby' | 'held';
  readonly epoch?: number;
  readonly startedAt: number;
  /** When it last announced itself: one silent for a few seconds is not a healthy standby. */
  readonly seenAt: number;
}

export interface ControllerRegistry {
  /** Records (or refreshes) a controller. */
  announceController(record: ControllerRecord): Promise<void>;
  /** Controllers seen at `seenSince` or later (all by default), oldest first. */
  listControllers(options?: { readonly seenSince?: number }): Promise<readonly ControllerRecord[]>;
  removeController(id: string): Promise<void>;
}

// ------------------------------------------------------------------------------------------ Operator requests

/**
 * An operator action asked for by a process that does not drive the runs (`maelstrom pause RUN` in a second
 * terminal), kept until the controller holding the store's lease applies it. The store keeps `body` as the engine
 * wrote it; what it means is the engine's business.
 */
export interface OperatorRequest {
  /** Assigned by the store, increasing. */
  readonly id: number;
  readonly time: number;
  readonly actor: string;
  readonly role: Role;
  /** The run it acts on; none for a halt of every run. */
  readonly runId?: string;
  /** What to do (JSON). */
  readonly body: unknown;
  /** When a controller applied it (or refused it); absent while pending. */
  readonly appliedAt?: number;
  /** What became of it, once applied: `ok`, or `failed` / `refused` with the error. */
  readonly outcome?: RequestOutcome;
  readonly error?: string;
}

export type RequestOutcome = 'ok' | 'failed' | 'refused';

export type NewOperatorRequest = Omit<OperatorRequest, 'id' | 'appliedAt' | 'outcome' | 'error'>;

export interface RequestStore {
  /** Records a request, pending; returns its id. */
  recordRequest(request: NewOperatorRequest): Promise<number>;
  /** Pending requests (not yet applied), oldest first, after `afterId`, at most `limit`. */
  pendingRequests(options?: {
    readonly afterId?: number;
    readonly limit?: number;
  }): Promise<readonly OperatorRequest[]>;
  getRequest(id: number): Promise<OperatorRequest | undefined>;
  /**
   * Marks a pending request applied, with what became of it. True when this call marked it; false when it was
   * already applied (by this or another controller), which changes nothing.
   */
  markRequestApplied(
    id: number,
    result: { readonly at: number; readonly outcome: RequestOutcome; readonly error?: string },
  ): Promise<boolean>;
}

// ------------------------------------------------------------------------------------------ Journal of changes

/**
 * The controller's part of the retrospective timeline (src/store/journal.ts): the store journals every event it
 * persists, every run it creates, lease changes and operator requests by itself, each stamped with this process's
 * HLC; other changes are appended here. Kept for the retention window, read by HLC range.
 */
export interface JournalStore {
  /** Stamps and records changes that are not a run's event; returns them as journalled. */
  appendJournal(
    entries: readonly { readonly type: string; readonly runId?: string; readonly [field: string]: unknown }[],
  ): Promise<readonly TimelineEvent[]>;
  /** Entries in HLC order with `fromHlc ≤ hlc ≤ toHlc` (both optional), at most `limit`. */
  listJournal(options?: {
    readonly fromHlc?: string;
    readonly toHlc?: string;
    readonly runId?: string;
    readonly limit?: number;
  }): Promise<readonly TimelineEvent[]>;
  /** Drops the entries past the retention window (or stamped before `beforeHlc`); returns how many. */
  pruneJournal(beforeHlc?: string): Promise<number>;
}

// ----------------------------------------------------------------------------------------------- Drain tests

/** One drain test of a schedule: its drain run, the hold, its restore run. Written by the schedule runner. */
export interface TestRecord {
  readonly id: string;
  readonly schedule: string;
  readonly datacenter: string;
  /** The drain and restore plans. */
  readonly drain: string;
  readonly restore: string;
  /** When the test was due (the cadence's time) and when it started. */
  readonly dueAt: number;
  readonly startedAt: number;
  readonly phase: TestPhase;
  readonly drainRunId?: string;
  readonly restoreRunId?: string;
  /** When the hold ends: set as the drain succeeds. */
  readonly holdUntil?: number;
  readonly finishedAt?: number;
  /** Set when the phase is `done`. */
  readonly outcome?: TestOutcome;
  /** Why it ended as it did (the abort condition, the incident, the halt), or why it is being stopped. */
  readonly reason?: string;
  /** How long the drain and the restore runs took. */
  readonly drainMs?: number;
  readonly restoreMs?: number;
  /** Tasks of its runs flagged stuck. */
  readonly stuckTasks?: number;
}

export type TestPatch = Partial<
  Pick<
    TestRecord,
    | 'phase'
    | 'drainRunId'
    | 'restoreRunId'
    | 'holdUntil'
    | 'finishedAt'
    | 'outcome'
    | 'reason'
    | 'drainMs'
    | 'restoreMs'
    | 'stuckTasks'
  >
>;

/** A due test that did not start, and why (a blocked window, a guard, an incident, the halt). */
export interface TestSkip {
  readonly id?: number;
  readonly schedule: string;
  /** When the test was due. */
  readonly at: number;
  /** The datacenter the schedule would have tested, when it got as far as picking one. */
  readonly datacenter?: string;
  readonly reason: string;
}

/** The tests' kill switch: while halted, no test starts. */
export interface TestsHalt {
  readonly halted: boolean;
  /** When it was last switched, by whom, and why. */
  readonly since: number;
  readonly actor: string;
  readonly reason?: string;
}

export interface TestStore {
  createTest(test: TestRecord): Promise<void>;
  /** E_NOT_FOUND for an unknown test. */
  updateTest(id: string, patch: TestPatch): Promise<void>;
  getTest(id: string): Promise<TestRecord | undefined>;
  /** Newest first (by start). */
  listTests(options?: {
    readonly schedule?: string;
    readonly datacenter?: string;
    readonly active?: boolean;
    readonly limit?: number;
  }): Promise<readonly TestRecord[]>;
  recordSkip(skip: Omit<TestSkip, 'id'>): Promise<number>;
  /** Newest first (by due time). */
  listSkips(options?: { readonly schedule?: string; readonly limit?: number }): Promise<readonly TestSkip[]>;
  /** The kill switch as last set, if ever. */
  testsHalt(): Promise<TestsHalt | undefined>;
  setTestsHalt(halt: TestsHalt): Promise<void>;
}

// ---------------------------------------------------------------------------------------- resolver records

/**
 * The judged resolutions of self-regulating stages (which resolution helped for which diagnosis), kept across runs
 * so that later runs try first what worked.
 */
export interface ResolverStore {
  recordResolution(record: ResolverRecord): Promise<void>;
  /** Tried, helped and partly per diagnosis and resolver, over every run (or one service's records). */
  resolverStats(options?: { readonly service?: string }): Promise<readonly ResolverStats[]>;
  /** Records oldest first, of one run or of all, at most `limit` (the most recent ones). */
  listResolutions(options?: { readonly runId?: string; readonly limit?: number }): Promise<readonly ResolverRecord[]>;
}

// ------------------------------------------------------------------------------------------ Notifications

/** A message to a notifier as the store keeps it: the delivery as the API shows it, with the exact body sent. */
export interface DeliveryRecord extends Omit<Delivery, 'id'> {
  readonly id?: number;
  /** The request body, exactly as sent (and signed) on every attempt. */
  readonly body: string;
  /** The body's media type. */
  readonly contentType: string;
}

export type DeliveryPatch = Partial<
  Pick<DeliveryRecord, 'state' | 'attempts' | 'lastAttemptAt' | 'deliveredAt' | 'error'>
>;

/** Notifications and their deliveries: what was sent where, and how it went (the notifier writes, the API reads). */
export interface NotificationStore {
  /** Records a new delivery; returns its id. */
  recordDelivery(delivery: DeliveryRecord): Promise<number>;
  updateDelivery(id: number, patch: DeliveryPatch): Promise<void>;
  /** Newest first, at most `limit`; only those in `state` when given. */
  listDeliveries(options?: {
    readonly state?: DeliveryState;
    readonly limit?: number;
  }): Promise<readonly DeliveryRecord[]>;
}

export interface Store
  extends
    RunStore,
    TokenStore,
    AuditLog,
    LeaseStore,
    RequestStore,
    ControllerRegistry,
    TestStore,
    NotificationStore,
    ResolverStore,
    JournalStore {
  /**
   * True when every call is answered in this process within the turn it was made in (embedded SQLite): a virtual
   * clock need not wait for it. A store that answers over the network leaves it unset.
   */
  readonly inProcess?: boolean;
  init(): Promise<void>;
  close(): Promise<void>;
  /**
   * The same store, whose every write first checks, in its own transaction, that `fence.holder` still holds
   * `fence.lease` at `fence.epoch` (E_FENCED otherwise), and records that epoch on the events it appends. It shares
   * the connection: init() and close() are the store's own.
   *
   * `check: false` is for tests only: the epoch is recorded on events but not checked, the unfenced commit path a test
   * uses to show that its checks catch a controller committing after its lease moved on.
   */
  fenced(fence: Fence, options?: { readonly check?: boolean }): Store;
}
