/**
 * Stages that only wait: `wait.for` (a duration), `wait.until` (a condition), `approval` (an operator says go).
 * Each keeps its deadline in its checkpoint, so a controller restarted midway waits only for what is left.
 */
import type { StageContext, StageFn, StageResult } from './stage.js';
import { MaelstromError } from '../model/errors.js';
import { readParams } from './params.js';

const DEFAULT_POLL_MS = 10_000;
const APPROVAL_POLL_MS = 1_000;

interface DeadlineState {
  readonly until?: number;
}

/** The deadline saved by an earlier run of the stage, or a new one saved now. */
async function savedDeadline(ctx: StageContext, durationMs: number | undefined): Promise<number | undefined> {
  const saved = (ctx.state as DeadlineState | undefined)?.until;
  if (typeof saved === 'number') return min(saved, ctx.deadline);
  if (durationMs === undefined) return ctx.deadline;
  const until = ctx.clock.now() + durationMs;
  await ctx.checkpoint({ until } satisfies DeadlineState);
  return min(until, ctx.deadline);
}

function min(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/** Sleeps `ms`, or less if the deadline comes first. */
export async function sleepWithin(ctx: StageContext, ms: number, deadline: number | undefined): Promise<void> {
  const left = deadline === undefined ? ms : Math.min(ms, deadline - ctx.clock.now());
  await ctx.clock.sleep(Math.max(0, left), ctx.signal);
}

export const waitFor: StageFn = async (ctx) => {
  const p = readParams('wait.for', ctx.with);
  const duration = p.duration('duration');
  const saved = (ctx.state as DeadlineState | undefined)?.until;
  const until = typeof saved === 'number' ? saved : ctx.clock.now() + duration;
  if (saved === undefined) await ctx.checkpoint({ until } satisfies DeadlineState);
  const stop = min(until, ctx.deadline) ?? until;
  const left = stop - ctx.clock.now();
  if (left > 0) await ctx.clock.sleep(left, ctx.signal);
  if (ctx.deadline !== undefined && ctx.deadline < until)
    return { outcome: 'timeout', detail: 'the stage timed out before the wait ended' };
  return { outcome: 'success' };
};

export const waitUntil: StageFn = async (ctx): Promise<StageResult> => {
  const p = readParams('wait.until', ctx.with);
  const expr = p.string('expr');
  const poll = p.duration('interval', `${DEFAULT_POLL_MS}ms`);
  const deadline = await savedDeadline(ctx, p.optionalDuration('timeout'));
  for (;;) {
    const verdict = await ctx.evaluate(expr);
    if (verdict === 'true') return { outcome: 'success' };
    if (deadline !== undefined && ctx.clock.now() >= deadline) {
      return {
        outcome: 'timeout',
        detail: `${expr} was still ${verdict === 'hold' ? 'unknown (missing data)' : 'false'}`,
      };
    }
    await sleepWithin(ctx, poll, deadline);
  }
};

/**
 * Waits for the task's approval: given once as many different operators as `approvers` (default 1) approved it
 * (the engine counts them), or before `timeout`, whose outcome the runbook routes with `next: { timeout: … }`.
 */
export const approval: StageFn = async (ctx): Promise<StageResult> => {
  const p = readParams('approval', ctx.with);
  const approvers = p.optionalNumber('approvers');
  if (approvers !== undefined && (!Number.isInteger(approvers) || approvers < 1))
    throw new MaelstromError(
      'E_PARAM',
      `approval: \`approvers\` must be a whole number of at least 1, got ${approvers}`,
    );
  const deadline = await savedDeadline(ctx, p.optionalDuration('timeout'));
  for (;;) {
    if (ctx.approved()) return { outcome: 'success', detail: 'approved' };
    if (deadline !== undefined && ctx.clock.now() >= deadline)
      return { outcome: 'timeout', detail: 'no approval in time' };
    await sleepWithin(ctx, APPROVAL_POLL_MS, deadline);
  }
};
