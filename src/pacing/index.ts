/**
 * Pacers for paced stages: `self-regulating` (the default: the closed loop with a health manager), `closed-loop`,
 * `fixed` (the classic schedule) and `oracle` (the simulator's yardstick). See pacer.ts for the contract and
 * README.md for how they decide.
 */
import type { Pacing } from '../model/definitions.js';
import { durationMs } from '../model/duration.js';
import { CLOSED_LOOP_DEFAULTS, createClosedLoopPacer, type ClosedLoopConfig } from './closed-loop.js';
import { FIXED_DEFAULTS, createFixedPacer } from './fixed.js';
import { ORACLE_DEFAULTS, createOraclePacer } from './oracle.js';
import type { Pacer } from './pacer.js';
import { createSelfRegulatingPacer } from './self-regulating.js';

export interface PacerTiming {
  /** How long a weight change takes to reach its mechanism (edge or cluster), ms. */
  readonly propagationMs: number;
}

/** The pacer a plan's pacing asks for, with the defaults of each mode filled in. */
export function createPacer(pacing: Pacing, timing: PacerTiming): Pacer {
  const settleMs = durationMs(pacing.settle);
  // The self-regulating pacer paces a healthy shift as the closed loop does: the same configuration.
  const closedLoop = (): ClosedLoopConfig => ({
    ...CLOSED_LOOP_DEFAULTS,
    firstStep: pacing.firstStep ?? CLOSED_LOOP_DEFAULTS.firstStep,
    maxStep: pacing.maxStep ?? CLOSED_LOOP_DEFAULTS.maxStep,
    propagationMs: timing.propagationMs,
    settleMs,
  });
  switch (pacing.mode) {
    case 'self-regulating':
      return createSelfRegulatingPacer(closedLoop());
    case 'closed-loop':
      return createClosedLoopPacer(closedLoop());
    case 'fixed':
      return createFixedPacer({
        step: pacing.step ?? FIXED_DEFAULTS.step,
        intervalMs: pacing.interval !== undefined ? durationMs(pacing.interval) : FIXED_DEFAULTS.intervalMs,
      });
    case 'oracle':
      return createOraclePacer({ ...ORACLE_DEFAULTS, propagationMs: timing.propagationMs });
  }
}

/** Propagation delays assumed when neither the stage nor the backend says: edge changes reach PoPs within a minute. */
export const DEFAULT_PROPAGATION_MS = { edge: 60_000, cluster: 15_000 } as const;

export type { Decision, DecisionKind, Pacer, PacerInput, ReceiverReading } from './pacer.js';
export { createClosedLoopPacer, createFixedPacer, createOraclePacer, createSelfRegulatingPacer };
