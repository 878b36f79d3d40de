/**
 * Stuck detection: is a task running past what its own history says it should take? The paper's rule compares
 * with the 75th percentile of the task's earlier durations; taken bare, about one task in four crosses it, so a
 * routine of drain tests whose durations vary with the hour and the load would stall on every run. Here the 75th
 * percentile stays the reference, and a task is flagged only past a fence above it that ordinary variation does not
 * reach:
 *
 *     fence = p75 + max(3 × IQR, p75, margin)        IQR = p75 − p25 of the earlier durations
 *
 * - `3 × IQR` is Tukey's far-out fence: for log-normal durations (σ = 0.3) about one run in seven hundred passes it.
 * - `p75` (the fence is at least twice the 75th percentile): with five to ten earlier durations the sample IQR is
 *   often far below the true one, and a tight fence would flag ordinary runs; a task is not stuck before it has
 *   taken twice as long as three runs in four.
 * - `margin` (one propagation delay plus one settle window of the plan's pacing): a short task is not stuck for
 *   waiting one more step of the world.
 *
 * Durations are counted per template, service, datacenter and plan (the routine drain of east and the emergency
 * one have different pacing), and with fewer than `MIN_HISTORY` of them no task is flagged at all.
 */

/** Fewer earlier durations than this and no task is ever flagged. */
export const MIN_HISTORY = 5;

/** Tukey's far-out fence: this many interquartile ranges above the third quartile. */
export const FAR_OUT_IQRS = 3;

/** How many of a task's most recent durations the fence is computed from. */
export const HISTORY_LIMIT = 50;

/** The p-th percentile (0 < p <= 100) by the nearest-rank method; undefined for no values. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Where a task counts as stuck, and the figures it came from (for the alert's message). */
export interface StuckFence {
  /** A task running longer than this (ms) is flagged. */
  readonly afterMs: number;
  /** The reference: the plan's stuck percentile (75th by default) of the earlier durations. */
  readonly percentileMs: number;
  readonly iqrMs: number;
  /** How many earlier durations it was computed from. */
  readonly samples: number;
}

export interface FenceOptions {
  /** The plan's stuck percentile (`spec.stuck.percentile`, 75 by default). */
  readonly percentile: number;
  /** The least margin above the percentile: one propagation delay and settle window (ms). */
  readonly marginMs: number;
}

/** The fence for a task with these earlier durations (most recent first), or undefined with too few of them. */
export function stuckFence(history: readonly number[], options: FenceOptions): StuckFence | undefined {
  const recent = history.slice(0, HISTORY_LIMIT);
  if (recent.length < MIN_HISTORY) return undefined;
  const reference = percentile(recent, options.percentile)!;
  const iqr = Math.max(0, percentile(recent, 75)! - percentile(recent, 25)!);
  const margin = Math.max(FAR_OUT_IQRS * iqr, reference, options.marginMs);
  return { afterMs: reference + margin, percentileMs: reference, iqrMs: iqr, samples: recent.length };
}
