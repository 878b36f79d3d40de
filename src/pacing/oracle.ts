/**
 * The yardstick (simulator only): given the TRUE capacities and loads (the stage reads them from Backend.oracle and
 * passes them as the receivers), move as much as fits under the target utilisation, and wait only for propagation.
 * The utilisation it is given is the true effective one (cold caches included).
 * No margin, no ramp-up: the fastest safe schedule, against which the other pacers are measured.
 */
import { EPSILON, clampStep, type Pacer } from './pacer.js';
import { headroomOf, pct } from './headroom.js';

export interface OracleConfig {
  readonly propagationMs: number;
  /**
   * A moved request costs up to this many warm requests at the receiver until its caches warm up (the simulator's
   * cold-cache factor), so only 1/coldFactor of the true headroom can be filled at once without passing the target.
   */
  readonly coldFactor: number;
  /** Below this a step is not worth a propagation wait (fraction of the move). */
  readonly minStep: number;
}

export const ORACLE_DEFAULTS = { minStep: 0.001, coldFactor: 2 } as const;

export function createOraclePacer(config: OracleConfig): Pacer {
  // Wait a hair past propagation so that the moved traffic has fully arrived when the truth is read again.
  const wait = config.propagationMs + 1000;
  return {
    mode: 'oracle',
    next(input) {
      const remaining = 1 - input.progress;
      if (remaining <= EPSILON) return { kind: 'final', step: 0, waitMs: 0, reason: 'nothing left to move' };
      const target = input.targetUtilization;
      let headroom = 0;
      for (const r of input.receivers) {
        const h = headroomOf(r, target);
        if (h === undefined) return { kind: 'hold', step: 0, waitMs: wait, reason: `no true figures for ${r.name}` };
        headroom += h;
      }
      headroom = Math.max(0, headroom - (input.inFlight ?? 0));
      const volume = input.volume ?? 0;
      const fits = volume <= EPSILON ? remaining : headroom / config.coldFactor / volume;
      const step = Math.min(remaining, fits);
      const why = `true headroom ${headroom.toFixed(0)} rps at ${pct(target)}`;
      if (step >= remaining - EPSILON)
        return { kind: 'final', step: clampStep(input.progress, remaining), waitMs: wait, reason: why };
      if (step < config.minStep)
        return { kind: 'hold', step: 0, waitMs: wait, reason: `receivers at the target; ${why}` };
      return {
        kind: step < input.lastStep - EPSILON ? 'shrink' : 'grow',
        step: clampStep(input.progress, step),
        waitMs: wait,
        reason: why,
      };
    },
  };
}
