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
}
