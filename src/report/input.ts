/**
 * What a report is built from: the record of a finished drill as plain data. The report never reaches into a live
 * backend; the drill hands over the simulator's counters and a reader of the series it recorded.
 */
import type { RunView } from '../engine/controller.js';
import type { CompiledPlan } from '../model/compiled.js';
import type { Fleet, PacingMode, Scenario } from '../model/definitions.js';
import type { ErrorCode } from '../model/errors.js';
import type { EngineEvent } from '../model/events.js';
import type { Series, SeriesMetric, SeriesQuery, SimCounters } from '../sim/types.js';

export interface DrillPlanRun {
  readonly plan: string;
  /** Absent when the plan never started (its `after` failed, or the scenario ended first). */
  readonly runId?: string;
  readonly view?: RunView;
  readonly compiled?: CompiledPlan;
  /** Why the plan did not start or could not run. */
  readonly error?: string;
  /** The error code of that reason, when it was an error of the engine (`E_PREFLIGHT`, `E_CONFLICT`…). */
  readonly errorCode?: ErrorCode;
}

/** Reads a series the simulator recorded during the drill; it changes nothing and answers the same every time. */
export type RecordedSeries = (metric: SeriesMetric, query: SeriesQuery) => Series;

/** One action the simulator received, as its journal records it (the shape of the sim backend's JournalEntry). */
export interface ActionRecord {
  readonly seq: number;
  /** Simulated time the call was received, ms since the epoch. */
  readonly time: number;
  readonly kind: string;
  readonly target: string;
  readonly origin?: {
    readonly runId: string;
    readonly taskId: string;
    readonly stage: number;
    readonly attempt: number;
  };
  readonly changed: boolean;
  readonly error?: { readonly code: string; readonly message: string };
}

export interface DrillRecord {
  readonly scenario: Scenario;
  readonly fleet: Fleet;
  /** Recording resolution of the simulator's series, ms. */
  readonly seriesResolutionMs: number;
  readonly pacing: PacingMode | 'plan';
  readonly startMs: number;
  readonly endMs: number;
  readonly runs: readonly DrillPlanRun[];
  readonly events: readonly EngineEvent[];
  /** The simulator's counters at the drill's end. */
  readonly counters: SimCounters;
  readonly series: RecordedSeries;
  /** Every action the simulator received, in order (absent in records built by hand). */
  readonly journal?: readonly ActionRecord[];
  /** Each datacenter's share of the fleet's load when each run ended, by run id (0..1). */
  readonly drainedShares?: Readonly<Record<string, Readonly<Record<string, number>>>>;
}
