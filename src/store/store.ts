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
import type { Role } from '../model/roles.js';
import type { RunState, StopIntent, TaskState } from '../model/states.js';
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
}

export type RunPatch = Partial<
  Pick<
    RunRecord,
    'state' | 'startedAt' | 'finishedAt' | 'reason' | 'criticalPath' | 'analysis' | 'stopIntent' | 'proposal'
  >
>;
export type TaskPatch = Partial<Omit<TaskRecord, 'runId' | 'id'>>;

/** Identifies task durations for stuck detection. */
export interface DurationKey {
  readonly template: string;
  readonly service: string;
  readonly datacenter: string;
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
}

export interface LeaseStore {
  /**
   * Takes or renews lease `name` for `holder` until `until`, when it is free, expired at `now`, already `holder`'s,
   * or held by `takeFrom` (a holder known to be dead). Answers the lease as it stands afterwards, which names
   * `holder` exactly when it was taken; decided and written in one transaction.
   */
  acquireLease(
    name: string,
    holder: string,
    options: { readonly now: number; readonly until: number; readonly takeFrom?: string },
  ): Promise<Lease>;
  /** Gives the lease up, if `holder` has it. */
  releaseLease(name: string, holder: string): Promise<void>;
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
  extends RunStore, TokenStore, AuditLog, LeaseStore, RequestStore, NotificationStore, JournalStore {
  /**
   * True when every call is answered in this process within the turn it was made in (embedded SQLite): a virtual
   * clock need not wait for it. A store that answers over the network leaves it unset.
   */
  readonly inProcess?: boolean;
  init(): Promise<void>;
  close(): Promise<void>;
}
