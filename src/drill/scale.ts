/**
 * The what-if hook: a stage library whose stages, for chosen tasks, wait a fraction of the time they would (they
 * see a clock that runs faster). Stages wait only through `ctx.clock.sleep`, so this makes a task "take half as
 * long" without touching the engine; what the simulated world itself takes (sessions ending, shards moving) is not
 * scaled, which is the honest answer to "what if this task's own pacing were faster".
 */
import type { Clock } from '../model/clock.js';
import { stageContext, type StageContext, type StageFn, type StageLibrary } from '../stages/stage.js';

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
      // Keep the context's prototype and every own property (methods included), with only the clock replaced.
      const origin = ctx.clock.now();
      const clock = scaledClock(ctx.clock, factor, origin);
      if (Object.getPrototypeOf(ctx) === Object.prototype) {
        // The engine's context (a plain object): rebuilt in its one shape (see stageContext).
        const deadline = ctx.deadline === undefined ? undefined : origin + (ctx.deadline - origin) / factor;
        return fn(stageContext({ ...ctx, clock, deadline }));
      }
      const deadline =
        ctx.deadline === undefined
          ? {}
          : { deadline: { value: origin + (ctx.deadline - origin) / factor, enumerable: true } };
      const scaled = Object.create(Object.getPrototypeOf(ctx) as object, {
        ...Object.getOwnPropertyDescriptors(ctx),
        clock: { value: clock, enumerable: true },
        ...deadline,
      }) as StageContext;
      return fn(scaled);
    };
  const out: Record<string, StageFn> = {};
  for (const [kind, fn] of Object.entries(library)) out[kind] = wrap(fn);
  return out as StageLibrary;
}
