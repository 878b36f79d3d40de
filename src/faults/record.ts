/**
 * What the fault search reads of a finished drill: plain data, the shape of the drill's record (src/report/input.ts
 * `DrillRecord` satisfies it), so that properties and lineage are pure functions of a run.
 */
import type { CompiledPlan } from '../model/compiled.js';
import type { Fleet, Scenario } from '../model/definitions.js';
import type { EngineEvent } from '../model/events.js';
import type { RunState, TaskState } from '../model/states.js';

/** One action the simulator received, with who sent it. */
export interface ActionEntry {
  readonly time: number;
  readonly kind: string;
  /** `edge/web/nyc`, `messenger/east`, `config:key`… */
  readonly target: string;
  readonly origin?: { readonly runId: string; readonly taskId: string; readonly stage: number };
  readonly changed: boolean;
  readonly error?: { readonly code: string; readonly message: string };
}

export interface RecordedTask {
  readonly id: string;
  readonly state: TaskState;
  readonly startedAt?: number;
  readonly finishedAt?: number;
}

export interface RecordedRun {
  readonly plan: string;
  readonly runId?: string;
  readonly view?: {
    readonly state: RunState;
    readonly createdAt: number;
    readonly startedAt?: number;
    readonly finishedAt?: number;
    readonly tasks: readonly RecordedTask[];
  };
  readonly compiled?: CompiledPlan;
  readonly error?: string;
}

export interface ExecutionRecord {
  readonly scenario: Scenario;
  readonly fleet: Fleet;
  readonly startMs: number;
  readonly endMs: number;
  readonly runs: readonly RecordedRun[];
  readonly events: readonly EngineEvent[];
  readonly counters: {
    readonly failedRequests: number;
    readonly servedRequests: number;
    readonly overloadSeconds: Readonly<Record<string, Readonly<Record<string, number>>>>;
  };
  readonly journal?: readonly ActionEntry[];
  /** Each datacenter's share of the fleet's load when each run ended, by run id. */
  readonly drainedShares?: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/** How often the engine polls conditions and health (its default, which drills use), ms. */
export const ENGINE_POLL_MS = 10_000;
