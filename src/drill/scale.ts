/**
 * The what-if hook: a stage library whose stages, for chosen tasks, wait a fraction of the time they would (their
 * sleeps go through a scaled clock). Stages wait only through `ctx.clock.sleep`, so this makes a task "take half as
 * long" without touching the engine; what the simulated world itself takes (sessions ending, shards moving) is not
 * scaled, which is the honest answer to "what if this task's own pacing were faster".
 */
import type { Clock } from '../model/clock.js';
import type { StageContext, StageFn, StageLibrary } from '../stages/stage.js';

export function scaledClock(clock: Clock, factor: number): Clock {
  return {
    now: () => clock.now(),
    sleep: (ms, signal) => clock.sleep(Math.max(0, ms * factor), signal),
  };
}

/** The library unchanged for tasks without a factor; otherwise each stage sees a clock whose sleeps are scaled. */
export function scaleStages(library: StageLibrary, factors: Readonly<Record<string, number>>): StageLibrary {
  if (Object.keys(factors).length === 0) return library;
  const wrap = (fn: StageFn): StageFn => (ctx) => {
    const factor = factors[ctx.taskId];
    if (factor === undefined || factor === 1) return fn(ctx);
    // The context may carry methods bound to itself: derive from it rather than copying it.
    const scaled = Object.create(ctx, { clock: { value: scaledClock(ctx.clock, factor), enumerable: true } }) as StageContext;
    return fn(scaled);
  };
  const out: Record<string, StageFn> = {};
  for (const [kind, fn] of Object.entries(library)) out[kind] = wrap(fn);
  return out as StageLibrary;
}
