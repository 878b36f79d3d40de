/**
 * The classic schedule: the same fraction every interval ("10 % every 5 minutes"), blind to health. The baseline
 * that the closed loop is compared with; the executor's health checks still stop it.
 */
import { EPSILON, clampStep, type Pacer } from './pacer.js';

export interface FixedConfig {
  /** Fraction moved per step (default 0.1). */
  readonly step: number;
  /** Time between steps, ms (default 5 minutes). */
  readonly intervalMs: number;
}

export const FIXED_DEFAULTS = { step: 0.1, intervalMs: 5 * 60_000 } as const;

export function createFixedPacer(config: FixedConfig): Pacer {
  return {
    mode: 'fixed',
    next(input) {
      const remaining = 1 - input.progress;
      if (remaining <= EPSILON) return { kind: 'final', step: 0, waitMs: 0, reason: 'nothing left to move' };
      const step = clampStep(input.progress, Math.min(config.step, remaining));
      const last = input.progress + step >= 1;
      return {
        kind: last ? 'final' : 'fixed',
        step,
        waitMs: config.intervalMs,
        reason: `${(config.step * 100).toFixed(0)} % every ${(config.intervalMs / 1000).toFixed(0)} s`,
      };
    },
  };
}
