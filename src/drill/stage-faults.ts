/**
 * Stage faults of a scenario (`stage-fail`, `stage-hang`), injected at the seam between the engine and its stages:
 * a stage library whose stages, for the targeted task, fail or hang while a fault is active. The engine is not
 * touched; it sees a stage that returned `failure`, or one that stopped answering until its window closed (or its
 * own timeout ended it), exactly as it would see a real stage do so.
 *
 * - stage-fail: a stage called while the fault is active returns `failure` at once; one already running when the
 *   window opens is stopped there and returns `failure`.
 * - stage-hang: a stage called while the fault is active, or running when the window opens, makes no progress
 *   until the window closes (for ever when it has no duration), then carries on from its last checkpoint, as a
 *   stage restarted after a stall does. The stage's timeout (its signal) still ends it.
 *
 * Everything is decided on the drill's virtual clock, so a fault does the same thing on every run of the scenario.
 */
import type { Clock } from '../model/clock.js';
import type { Fault } from '../model/definitions.js';
import { durationMs } from '../model/duration.js';
import { MaelstromError } from '../model/errors.js';
import {
  withContextMembers,
  type StageContext,
  type StageFn,
  type StageLibrary,
  type StageResult,
} from '../stages/stage.js';

/** A stage fault in absolute time. */
export interface StageFaultWindow {
  readonly kind: 'stage-fail' | 'stage-hang';
  readonly task: string;
  readonly plan: string | undefined;
  readonly stage: number | undefined;
  readonly start: number;
  readonly end: number;
}

/** The scenario's stage faults, with their windows on the drill's clock (scenario start + `at`). */
export function stageFaultWindows(faults: readonly Fault[], startMs: number): StageFaultWindow[] {
  const out: StageFaultWindow[] = [];
  faults.forEach((f, i) => {
    if (f.kind !== 'stage-fail' && f.kind !== 'stage-hang') return;
    if (f.task === undefined)
      throw new MaelstromError('E_SCHEMA', `fault ${i}: a ${f.kind} fault names its task (service/task)`);
    const start = startMs + durationMs(f.at);
    out.push({
      kind: f.kind,
      task: f.task,
      plan: f.plan,
      stage: f.stage,
      start,
      end: f.duration === undefined ? Number.POSITIVE_INFINITY : start + durationMs(f.duration),
    });
  });
  return out;
}

const activeAt = (w: StageFaultWindow, t: number): boolean => t >= w.start && t < w.end;

/** Sleeps until `at` on the clock (for ever when it is infinite), unless `signal` aborts first. */
function sleepUntil(clock: Clock, at: number, signal: AbortSignal): Promise<void> {
  if (Number.isFinite(at)) return clock.sleep(Math.max(0, at - clock.now()), signal);
  return new Promise<void>((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason as Error);
    else
      signal.addEventListener(
        'abort',
        () => {
          reject(signal.reason as Error);
        },
        { once: true },
      );
  });
}

/**
 * Runs the stage until it ends or the clock reaches `until`, whichever is first. At `until` the stage is stopped
 * (its signal aborted) and awaited, so that it sends nothing more, and `undefined` is returned.
 */
async function runUntil(fn: StageFn, ctx: StageContext, until: number): Promise<StageResult | undefined> {
  if (!Number.isFinite(until)) return fn(ctx);
  const stop = new AbortController();
  const relay = (): void => {
    stop.abort(ctx.signal.reason);
  };
  ctx.signal.addEventListener('abort', relay, { once: true });
  const timer = new AbortController();
  let interrupted = false;
  void ctx.clock.sleep(Math.max(0, until - ctx.clock.now()), timer.signal).then(
    () => {
      interrupted = true;
      stop.abort(new MaelstromError('E_ABORTED', 'stopped by an injected stage fault'));
    },
    () => undefined,
  );
  try {
    const result = await fn(withContextMembers(ctx, { signal: stop.signal }));
    if (!interrupted) return result;
    return undefined;
  } catch (e) {
    if (interrupted && !ctx.signal.aborted) return undefined;
    throw e;
  } finally {
    timer.abort();
    ctx.signal.removeEventListener('abort', relay);
  }
}

/**
 * The library with the given stage faults injected. `planOf` names the plan of a run (the drill knows which run is
 * which); faults that name no plan apply to the task in every plan.
 */
export function injectStageFaults(
  library: StageLibrary,
  windows: readonly StageFaultWindow[],
  planOf: (runId: string) => string | undefined,
): StageLibrary {
  if (windows.length === 0) return library;
  const wrap =
    (fn: StageFn): StageFn =>
    async (ctx) => {
      const plan = planOf(ctx.runId);
      const mine = windows.filter(
        (w) =>
          w.task === ctx.taskId &&
          (w.plan === undefined || w.plan === plan) &&
          (w.stage === undefined || w.stage === ctx.stageIndex),
      );
      if (mine.length === 0) return fn(ctx);
      // The stage's own progress, as it last saved it: a stage continued after a hang starts from there.
      let state = ctx.state;
      const checkpoint = async (s: unknown): Promise<void> => {
        await ctx.checkpoint(s);
        state = s;
      };
      for (;;) {
        const now = ctx.clock.now();
        const active = mine.filter((w) => activeAt(w, now));
        if (active.some((w) => w.kind === 'stage-fail')) {
          return { outcome: 'failure', detail: `injected fault: stage-fail of ${ctx.taskId}` };
        }
        const hang = active.find((w) => w.kind === 'stage-hang');
        if (hang) {
          const until = Math.max(...active.filter((w) => w.kind === 'stage-hang').map((w) => w.end));
          await sleepUntil(ctx.clock, until, ctx.signal);
          continue;
        }
        const next = Math.min(...mine.map((w) => (w.start > now ? w.start : Number.POSITIVE_INFINITY)));
        const result = await runUntil(fn, withContextMembers(ctx, { state, checkpoint }), next);
        if (result !== undefined) return result;
      }
    };
  const out: Record<string, StageFn> = {};
  for (const [kind, fn] of Object.entries(library)) out[kind] = wrap(fn);
  return out as StageLibrary;
}
