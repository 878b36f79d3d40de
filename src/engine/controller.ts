/**
 * What the server, the CLI and the dashboard ask of the engine. The engine implements it; the server only calls it.
 */
import type { CompiledPlan } from '../model/compiled.js';
import type { EngineEvent } from '../model/events.js';
import type { Actor, AlertView, OperatorCommand, RunOrigin, RunView } from '../model/api.js';
import type { TriggerMode } from '../model/definitions.js';

// The shapes are the API's, written once as zod schemas in model/api.ts.
export type { Actor, OperatorCommand, RunView, TaskView } from '../model/api.js';

/** What a trigger asks of the engine when an alert matches it. */
export interface ProposalRequest {
  readonly trigger: string;
  readonly mode: TriggerMode;
  /** The alert (or alerts) that matched. */
  readonly alerts: readonly AlertView[];
  /** How long a proposal waits for an approval before it lapses. */
  readonly expireAfterMs: number;
}

/**
 * startRun, command and halt each record the action in the audit log once, with who acted (and their role) and its
 * outcome (`ok`, `refused` for an actor without the role, `failed` with the error code), whether it succeeds or not.
 */
/** How a run is started, beyond its plan. */
export interface StartOptions {
  /** The run's id, chosen by the caller (a start handed to another controller names its run in advance). */
  readonly id?: string;
  /**
   * A drain of the leading controller's own datacenter started here as an emergency, with the reason, instead of
   * the lease going to a standby elsewhere first; recorded in the audit log and the journal.
   */
  readonly emergency?: string;
  /**
   * The drain test starting it (the schedule runner's runs). A run without one is an operator's, an incident as the
   * schedules see it: it takes over a datacenter from a drain test acting there rather than be refused.
   */
  readonly origin?: RunOrigin;
}

export interface Controller {
  /**
   * Compiles and starts a plan; refuses (E_PREFLIGHT, E_CONFLICT) with figures rather than starting an unsafe run.
   * A run of an operator's whose services a drain test's runs are acting on in the same datacenter stops those runs
   * first (aborted, without their restore: the datacenter is handed over to the incident, on the record).
   */
  startRun(plan: string, actor: Actor, options?: StartOptions): Promise<RunView>;
  /**
   * Creates a run that an alert's trigger asks for: `proposed` (with its pre-flight, for an operator to approve, or
   * to lapse), or started at once in the trigger's `start` mode when its pre-flight passes. Needs the alerts (or
   * operator) role; refused (E_CONFLICT) when another run acts on its services. Audited once, like startRun.
   */
  proposeRun(plan: string, request: ProposalRequest, actor: Actor): Promise<RunView>;
  /** Records alerts (firing again, resolved, another of the trigger's) on a run a trigger made. */
  recordAlerts(runId: string, alerts: readonly AlertView[]): Promise<RunView>;
  /** Compiles a plan without running it. */
  preview(plan: string): Promise<CompiledPlan>;
  getRun(id: string): Promise<RunView>;
  listRuns(options?: {
    readonly limit?: number;
    readonly active?: boolean;
    /** Only the runs this trigger made. */
    readonly trigger?: string;
  }): Promise<readonly RunView[]>;
  command(runId: string, command: OperatorCommand, actor: Actor): Promise<RunView>;
  /** Stops every active run at once. */
  halt(actor: Actor, reason: string): Promise<void>;
  /** Live events; returns an unsubscribe function. */
  subscribe(listener: (event: EngineEvent) => void): () => void;
  /** Events of a run (or of all runs) after a sequence number, for catching up. */
  events(options?: {
    readonly runId?: string;
    readonly afterSeq?: number;
    readonly limit?: number;
  }): Promise<readonly EngineEvent[]>;
}
