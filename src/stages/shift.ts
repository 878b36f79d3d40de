/**
 * The shapes a traffic shift works with, shared by its stage (traffic-shift.ts) and the health manager's side of it
 * (shift-health.ts): the shift, its checkpoint, what it read of the world, and a resolution to announce.
 */
import type { Backend } from '../backends/backend.js';
import type { ResolverStats } from '../model/regulation.js';
import type { FleetSnapshot, Layer } from '../model/readings.js';
import type { CalleeReading, HealthMemory } from '../pacing/health.js';
import type { DecisionKind, Pacer, ReceiverReading } from '../pacing/pacer.js';
import type { ActedResolution } from './regulation.js';
import type { StageContext, WatchContext } from './stage.js';
import type { Tables } from './weights.js';

export type Direction = 'drain' | 'restore';

/** A resolution to announce (a `regulation` event, phase `acted`) once it is carried out. */
export type ActedNote = ActedResolution;

/** A step decided and being carried out. */
export interface Pending {
  readonly tables: Tables;
  readonly applied: boolean;
  readonly decision: DecisionKind;
  readonly reason: string;
  /** The health manager's action this step carries out, announced once the tables are set. */
  readonly note?: ActedNote | undefined;
}

/** The checkpoint of a shift: enough to continue exactly where it was. */
export interface ShiftState {
  readonly v: 1;
  readonly direction: Direction;
  readonly layer: Layer;
  /** The tables the shift changes, as they were when it started. */
  readonly start: Tables;
  /** Requests per second the whole move shifts, once known. */
  readonly volume?: number;
  readonly progress: number;
  readonly steps: number;
  readonly lastStep: number;
  readonly lastDecision?: DecisionKind;
  readonly backoffs?: number;
  readonly baseline: readonly ReceiverReading[];
  /** Restore: the datacenter's share under the baseline tables, which the shift returns to. */
  readonly targetShare?: number;
  readonly pending?: Pending;
  /** No decision before this time (propagation and settle of the last step), clock ms. */
  readonly waitUntil?: number;
  /** Self-regulating: the datacenter's own reading before the shift, the health manager's memory, and what earlier
   * runs' judged resolutions said when the shift began (kept, so that a resumed shift decides the same). */
  readonly sourceBaseline?: ReceiverReading;
  readonly health?: HealthMemory;
  readonly preferences?: readonly ResolverStats[];
  /** Self-regulating: the callees' readings at the receivers before the shift (their error rates then). */
  readonly calleeBaseline?: readonly CalleeReading[];
  /**
   * Self-regulating, cluster layer: receivers whose own table a route-around re-weighted (what arrives there sent on
   * to the others), with the table as it was before and the requests per second it sends on; given back once the
   * receiver has room for them again.
   */
  readonly diverted?: Readonly<Record<string, Diversion>>;
}

/** A receiver's own cluster table as a route-around found it, and what it has sent on since, rps. */
export interface Diversion {
  readonly before: Readonly<Record<string, number>>;
  readonly rps: number;
}

/** A shift being carried out: by its stage, or kept at its target by a watch. */
export interface Shift {
  readonly ctx: StageContext | WatchContext;
  readonly backend: Backend;
  readonly service: string;
  readonly datacenter: string;
  readonly layer: Layer;
  readonly direction: Direction;
  readonly oracle: boolean;
  readonly pacer: Pacer;
  readonly propagationMs: number;
  /** The pacer has a health manager (self-regulating): feed it, carry its decisions out, hand over a watch. */
  readonly regulated: boolean;
  readonly watching: boolean;
}

/** What a shift read of the world for its decision. */
export interface World {
  readonly receivers: readonly ReceiverReading[];
  readonly volume: number | undefined;
  /** The service's load still arriving in the datacenter, rps. */
  readonly sourceLoad: number | undefined;
  /** The datacenter's own reading, the snapshot and the tables as they are (self-regulating shifts). */
  readonly source: ReceiverReading | undefined;
  readonly snapshot: FleetSnapshot | undefined;
  readonly tables: Tables | undefined;
}
