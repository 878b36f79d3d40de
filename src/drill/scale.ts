/**
 * The what-if hook: a stage library whose stages, for chosen tasks, wait a fraction of the time they would (they
 * see a clock that runs faster). Stages wait only through `ctx.clock.sleep`, so this makes a task "take half as
 * long" without touching the engine; what the simulated world itself takes (sessions ending, shards moving) is not
 * scaled, which is the honest answer to "what if this task's own pacing were faster".
 */
import type { Clock } from '../model/clock.js';
import { withContextMembers, type StageFn, type StageLibrary } from '../stages/stage.js';

/**
 * A clock for one stage whose time runs `1 / factor` times as fast from `origin` on: its sleeps take `factor` of
 * the real time and its `now()` moves on accordingly, so stages that compute deadlines (`now() + wait`) and check
 * them against `now()` stay consistent.
 */
export function scaledClock(clock: Clock, factor: number, origin = clock.now()): Clock {
  return {
    now: () => origin + (clock.now() - origin) / factor,
    sleep: (ms, signal) => clock.sleep(Math.max(0, ms * factor), signal),
  };
}

/** The library unchanged for tasks without a factor; otherwise each stage sees a clock whose sleeps are scaled. */
export function scaleStages(library: StageLibrary, factors: Readonly<Record<string, number>>): StageLibrary {
  if (Object.keys(factors).length === 0) return library;
  const wrap =
    (fn: StageFn): StageFn =>
    (ctx) => {
      const factor = factors[ctx.taskId];
      if (factor === undefined || factor === 1) return fn(ctx);
      const origin = ctx.clock.now();
      const clock = scaledClock(ctx.clock, factor, origin);
      if (ctx.deadline === undefined) return fn(withContextMembers(ctx, { clock }));
      return fn(withContextMembers(ctx, { clock, deadline: origin + (ctx.deadline - origin) / factor }));
    };
  const out: Record<string, StageFn> = {};
  for (const [kind, fn] of Object.entries(library)) out[kind] = wrap(fn);
  return out as StageLibrary;
}
