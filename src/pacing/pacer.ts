/**
 * Pacers decide how much of a traffic move happens in the next step and how long to wait after it. They are pure
 * and deterministic: the same input always gives the same decision, so a resumed run decides exactly as the
 * interrupted one would have, and a recorded run replays.
 *
 * Where the moved traffic goes (to the receivers with the most headroom) is decided by the stage, the same way for
 * every pacer; pacers differ only in how much moves per step and when.
 */
import type { PacingMode } from '../model/definitions.js';
import type { DatacenterReading } from '../model/readings.js';
import type { HealthInput, HealthOutcome } from './health.js';
import type { ReceiverReading } from './reading.js';

export type { ReceiverReading } from './reading.js';
export { unreadReceiver } from './reading.js';

/**
 * A receiver as the pacer sees it, from a datacenter's reading (only the figures that were read). With the
 * snapshot's `time`, also how old the figures are and the edge share (what the health manager reads besides).
 */
export function receiverReading(name: string, r: DatacenterReading, time?: number): ReceiverReading {
  const age = r.sampledAt !== undefined && time !== undefined ? time - r.sampledAt : undefined;
  // Every key, always in this order (undefined when not read; JSON drops it): one shape for the pacers' hot code.
  return {
    name,
    load: r.load,
    capacity: r.capacity,
    utilization: r.utilization,
    errorRate: r.errorRate,
    latencyP99: r.latencyP99,
    ageMs: age !== undefined && age > 0 ? age : undefined,
    edgeShare: time !== undefined ? r.share?.edge : undefined,
  };
}

export type DecisionKind = 'grow' | 'hold' | 'shrink' | 'backoff' | 'fixed' | 'final' | 'move-back' | 'reroute';

export interface PacerInput {
  /** Fraction of the whole move already done, 0..1. */
  readonly progress: number;
  /** Steps taken so far (moves and back-offs, not holds). */
  readonly steps: number;
  /** Fraction moved by the most recent move (positive), 0 before the first. */
  readonly lastStep: number;
  readonly lastDecision?: DecisionKind | undefined;
  /** Back-offs so far in this move: each one makes the pacer more careful for the rest of it. */
  readonly backoffs?: number | undefined;
  /**
   * Requests per second the whole move shifts (the load that leaves the datacenter, or returns to it). Unknown
   * (undefined) only when nothing could be read; the closed loop then holds.
   */
  readonly volume?: number | undefined;
  /**
   * Requests per second already committed to the receivers but not yet arrived there: sticky sessions that follow
   * the weights only as they end, or a change still propagating. It uses up headroom as surely as arrived load.
   */
  readonly inFlight?: number | undefined;
  /** The receivers of the moved traffic, as measured now (after the previous step propagated and settled). */
  readonly receivers: readonly ReceiverReading[];
  /** The receivers as measured before the first step: the reference for "error rate up" and "latency up". */
  readonly baseline: readonly ReceiverReading[];
  readonly targetUtilization: number;
  /** What the self-regulating pacer's health manager reads besides (the other pacers ignore it). */
  readonly health?: HealthInput | undefined;
}

export interface Decision {
  readonly kind: DecisionKind;
  /**
   * Fraction of the whole move to make now: positive moves on, negative moves back (a back-off), 0 holds.
   * progress + step always stays within 0..1.
   */
  readonly step: number;
  /** How long to wait after carrying out the step before the next decision (propagation and settle), ms. */
  readonly waitMs: number;
  /** Why, in words an operator reads in the event stream. */
  readonly reason: string;
  /** The self-regulating pacer's health manager: what it saw, diagnosed, did and judged, and its memory. */
  readonly health?: HealthOutcome;
  /**
   * The receivers a growth step goes to (the others are full or sick: failing requests, slow); all when unset. The
   * stage splits the step over these alone.
   */
  readonly only?: readonly string[];
  /**
   * Receivers whose own cluster table a route-around re-weighted and that have room again: the share (0..1) of what
   * each sends on that comes home, 1 for its table back as it was (a `reroute` of no step).
   */
  readonly giveBack?: Readonly<Record<string, number>>;
}

export interface Pacer {
  readonly mode: PacingMode;
  next(input: PacerInput): Decision;
  /**
   * Whether the readings call for a decision before the current wait ends (a receiver tipping over); pacers that
   * only decide at the end of each wait leave it out.
   */
  readonly interrupt?: (input: PacerInput) => boolean;
}

/** Fractions below this are treated as zero, so that float noise never leaves a drain at 99.9999 %. */
export const EPSILON = 1e-6;

/** Clamps a step so that progress stays within 0..1, and snaps the last sliver to exactly the end. */
export function clampStep(progress: number, step: number): number {
  const to = Math.min(1, Math.max(0, progress + step));
  const snapped = 1 - to < EPSILON ? 1 : to < EPSILON ? 0 : to;
  return snapped - progress;
}
