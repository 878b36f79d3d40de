/**
 * What follows from the way a stage ended. Two kinds of ending are kept apart here, in one exhaustive switch:
 *
 * - the **world's** (and the runbook's): the stage succeeded, failed (a backend refused, a check did not pass,
 *   retries ran out) or timed out. The runbook routes these with `next:`; without a route, a failure fails the task.
 * - the **system's**: the stage has a bug (`E_INTERNAL`, which every unknown throw becomes). That says nothing about
 *   the world, so no `next:` may route it, not even `next: { failure: … }` meant for the world's failures: the
 *   task fails, naming the bug, and waits for an operator.
 */
import type { Stage, StageOutcome } from '../model/definitions.js';
import { assertNever, type MaelstromError } from '../model/errors.js';

/** How a stage ended: with a routable outcome, or with a bug of ours. */
export type StageEnd =
  { readonly kind: StageOutcome; readonly detail?: string } | { readonly kind: 'internal'; readonly detail: string };

/** What the executor does next. */
export type Consequence =
  /** Go on at this stage index (`stages.length`: the stages are done, on to the post-conditions). */
  | { readonly kind: 'continue'; readonly stage: number }
  /** The task fails; `system` when it was our bug rather than the world. */
  | { readonly kind: 'fail'; readonly system: boolean; readonly reason: string };

/** Where the runbook sends an outcome: a stage index, the end (stages.length), or undefined (no route: fail). */
export function nextStage(stages: readonly Stage[], index: number, outcome: StageOutcome): number | undefined {
  const target = stages[index]?.next?.[outcome];
  if (target !== undefined) {
    const i = stages.findIndex((s) => s.name === target);
    if (i >= 0) return i;
    if (target === 'end') return stages.length;
    return undefined;
  }
  return outcome === 'success' ? index + 1 : undefined;
}

/** How a stage that threw ended: a timeout, a bug of ours, or a failure of the world (a retryable one is retried first). */
export function endOfThrow(err: MaelstromError, timedOut: boolean): StageEnd {
  if (timedOut) return { kind: 'timeout', detail: err.message };
  if (err.code === 'E_INTERNAL') return { kind: 'internal', detail: `${err.code}: ${err.message}` };
  return { kind: 'failure', detail: `${err.code}: ${err.message}` };
}

/** The consequence of stage `index` (labelled `label`) ending with `end`. */
export function consequenceOf(stages: readonly Stage[], index: number, label: string, end: StageEnd): Consequence {
  const detail = end.detail ? `: ${end.detail}` : '';
  switch (end.kind) {
    case 'success':
    case 'failure':
    case 'timeout': {
      const next = nextStage(stages, index, end.kind);
      return next === undefined
        ? { kind: 'fail', system: false, reason: `stage ${label} ended with ${end.kind}${detail}` }
        : { kind: 'continue', stage: next };
    }
    case 'internal':
      return {
        kind: 'fail',
        system: true,
        reason: `stage ${label} failed with an internal error (a bug, not the fleet; no runbook route applies)${detail}`,
      };
    default:
      return assertNever(end, 'stage end');
  }
}
