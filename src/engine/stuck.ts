/**
 * Stuck detection: a task running longer than a percentile of its own history (same template, service and
 * datacenter) is flagged. Too little history says nothing, so a threshold needs a few earlier runs.
 */

/** Fewer earlier durations than this and no task is ever flagged. */
export const MIN_HISTORY = 3;

/** The p-th percentile (0 < p <= 100) by the nearest-rank method, or undefined without enough history. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length < MIN_HISTORY) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}
