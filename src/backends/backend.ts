/**
 * The seam between the engine and the world. Every stage acts only through this interface; the simulator, the
 * HAProxy backend (with a Prometheus metrics source) and a remote simulator over HTTP implement it, and all of
 * them pass the one conformance suite in `conformance.ts`.
 *
 * Every action sets a target state rather than applying a delta, so that sending it twice is harmless: a stage
 * re-run after a crash reads the current state and sends the same target again.
 */
import type { Clock } from '../model/clock.js';
import type { FleetSnapshot, Layer } from '../model/readings.js';
import type { Stamp } from '../model/hlc.js';

import type { Action, ActionKind, WeightTable } from '../model/actions.js';

export type { Action, ActionKind, WeightTable } from '../model/actions.js';

export interface ActionResult {
  /** False when the backend already was in the requested state (so nothing was changed). */
  readonly changed: boolean;
  readonly detail?: string;
  /** True when a task's health gate held the action back (`unlessHeld`): it was not sent. */
  readonly held?: boolean;
}

/** Options of every I/O call. */
export interface CallOptions {
  readonly signal?: AbortSignal;
}

/** Who sends an action: the simulator journals it, so a repeated or skipped stage is visible afterwards. */
export interface ActionOrigin {
  readonly runId: string;
  readonly taskId: string;
  readonly stage: number;
  readonly attempt: number;
}

export interface ActOptions extends CallOptions {
  readonly origin?: ActionOrigin;
  /**
   * The lease epoch of the controller sending the action. A backend that can keep it refuses an action carrying a
   * smaller epoch than one it already accepted (E_FENCED): a controller that lost its lease sends nothing more. The
   * simulator keeps it; an action without one counts as epoch 0.
   */
  readonly epoch?: number;
  /**
   * Resolves when the sender still holds its lease at `epoch`, throws E_FENCED otherwise (it asks the store). A
   * backend that cannot keep an epoch itself (HAProxy) calls it before each command it sends.
   */
  readonly checkLease?: (signal?: AbortSignal) => Promise<void>;
  /**
   * For the engine's health gate in front of a task's stages (backends ignore both): the action takes pressure off
   * the receivers and passes a closed gate (`relief`), or is not sent at all while the gate is closed
   * (`unlessHeld`, answered with `held: true`).
   */
  readonly relief?: boolean;
  readonly unlessHeld?: boolean;
}

/**
 * Simulator only: the world's true figures, which the `oracle` pacer reads to move as fast as propagation allows
 * without exceeding the target. Real backends do not have it.
 */
export interface Oracle {
  /** True capacity (after faults) and true arriving load per datacenter for the service, requests per second. */
  truth(
    service: string,
  ): Promise<{ readonly capacity: Readonly<Record<string, number>>; readonly load: Readonly<Record<string, number>> }>;
  /** Propagation delay of a weight change at the layer, ms. */
  propagationMs(layer: Layer): number;
}

/** A snapshot request may name extra PromQL queries to answer (from `prom("…")` in expressions). */
export interface SnapshotOptions extends CallOptions {
  readonly queries?: readonly string[];
}

/** Where the health readings come from: the simulator, or Prometheus. */
/** One call of an adapter to a program without HLC, stamped as sent and as read (see call-journal.ts). */
export interface StampedCall {
  /** `haproxy`, `prometheus`. */
  readonly adapter: string;
  /** What was called: an action's kind (`weights.set`…), `snapshot`. */
  readonly call: string;
  /** The call's own fields (the action, the number of services read…). */
  readonly detail?: Readonly<Record<string, unknown>>;
  readonly origin?: ActionOrigin;
  /** This process's clock as the call went out, and as its answer (or its failure) was read. */
  readonly sent: Stamp;
  readonly read: Stamp;
  /** Set when the call failed. */
  readonly error?: { readonly code: string; readonly message: string };
}

export interface MetricsSource {
  snapshot(options?: SnapshotOptions): Promise<FleetSnapshot>;
  /**
   * An adapter to a program that carries no HLC (HAProxy, Prometheus): its recent calls, each stamped with this
   * process's clock on sending and on reading the answer (call-journal.ts), for the retrospective timeline.
   */
  stampedCalls?(): readonly StampedCall[];
}

export interface Backend extends MetricsSource {
  /** A short name for events and reports: `sim`, `sim+http://127.0.0.1:7070`, `haproxy`. */
  readonly name: string;
  /** The time the backend lives in: virtual for the in-process simulator, wall time otherwise. */
  readonly clock: Clock;
  /** Which actions this backend can carry out; a stage needing another is refused before the run starts. */
  readonly supports: ReadonlySet<ActionKind>;
  init(options?: CallOptions): Promise<void>;
  close(): Promise<void>;
  /** Every weight table of the service at the layer. */
  weights(layer: Layer, service: string, options?: CallOptions): Promise<readonly WeightTable[]>;
  /** The baseline tables (before any drain), which a restore returns to. */
  baselineWeights(layer: Layer, service: string, options?: CallOptions): Promise<readonly WeightTable[]>;
  act(action: Action, options?: ActOptions): Promise<ActionResult>;
  /** Present on the simulator only. */
  readonly oracle?: Oracle;
}
