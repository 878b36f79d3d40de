/**
 * What the server, the CLI and the dashboard ask of the engine. The engine implements it; the server only calls it.
 */
import type { CompiledPlan } from '../model/compiled.js';
import type { EngineEvent } from '../model/events.js';
import type { RunState, TaskState } from '../model/states.js';

export interface Actor {
  /** Who acts: a token's name, or the local user for the CLI. */
  readonly name: string;
  readonly role: 'viewer' | 'operator' | 'admin';
}

export interface TaskView {
  readonly id: string;
  readonly service: string;
  readonly template: string;
  readonly state: TaskState;
  readonly after: readonly string[];
  /** Index of the current stage, when running. */
  readonly stage?: number;
  readonly stages: readonly string[];
  readonly startedAt?: number;
  readonly finishedAt?: number;
  /** Progress of the current traffic shift, 0..1, when there is one. */
  readonly progress?: number;
  readonly reason?: string;
  readonly stuck?: boolean;
}

export interface RunView {
  readonly id: string;
  readonly plan: string;
  readonly state: RunState;
  readonly datacenter: string;
  readonly direction: 'drain' | 'restore';
  readonly createdAt: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly tasks: readonly TaskView[];
  readonly reason?: string;
  /** After the run: the chain of task ids that determined its duration. */
  readonly criticalPath?: readonly string[];
}

export type OperatorCommand =
  | { readonly action: 'pause'; readonly reason?: string }
  | { readonly action: 'resume'; readonly reason?: string }
  | { readonly action: 'abort'; readonly reason?: string }
  | { readonly action: 'retry'; readonly task: string; readonly reason?: string }
  | { readonly action: 'skip'; readonly task: string; readonly reason: string }
  | { readonly action: 'approve'; readonly task: string; readonly reason?: string }
  | {
      readonly action: 'override-condition';
      readonly task: string;
      readonly condition: string;
      readonly reason: string;
    }
  | {
      readonly action: 'override-dependency';
      readonly task: string;
      readonly dependency: string;
      readonly reason: string;
    };

/**
 * startRun, command and halt each record the action in the audit log once, with who acted (and their role) and its
 * outcome (`ok`, `refused` for an actor without the role, `failed` with the error code), whether it succeeds or not.
 */
export interface Controller {
  /** Compiles and starts a plan; refuses (E_PREFLIGHT, E_CONFLICT) with figures rather than starting an unsafe run. */
  startRun(plan: string, actor: Actor): Promise<RunView>;
  /** Compiles a plan without running it. */
  preview(plan: string): Promise<CompiledPlan>;
  getRun(id: string): Promise<RunView>;
  listRuns(options?: { readonly limit?: number; readonly active?: boolean }): Promise<readonly RunView[]>;
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
