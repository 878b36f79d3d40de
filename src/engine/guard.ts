/**
 * Watches: finished stages of a run that keep regulating what they did. A self-regulating traffic shift that
 * reached its target hands its state over as it ends (the executor keeps it on the task, `TaskRecord.watches`), and
 * the stage library's watcher of that kind keeps the shift's health manager running beside the run's other tasks:
 * when a receiver degrades after its shift finished, traffic is still moved back or around it.
 *
 * - Watches run while the run is scheduling (running or blocked); pausing or stopping the run stops them, resuming
 *   starts them again from their checkpoints (as stages resume).
 * - Each checkpoints its state with whether it is settled (at its target). The run does not succeed while one is
 *   not: its drain is not over while traffic it moved back is still to move again.
 * - After a drain succeeds, its watches keep the drained datacenter regulated until a run restores that datacenter
 *   or the controller stops: a drain test's hold between drain and restore is watched too.
 */
import { toMaelstromError } from '../model/errors.js';
import { isSchedulingRun } from '../model/states.js';
import type { StageKind } from '../model/definitions.js';
import type { WatchContext } from '../stages/stage.js';
import type { WatchRecord } from '../store/store.js';
import type { RunRuntime } from './runtime.js';

const keyOf = (taskId: string, stage: string): string => `${taskId}#${stage}`;

/** Whether the run's watches may act now. */
function mayWatch(rt: RunRuntime): boolean {
  if (rt.stopped || rt.unwatched) return false;
  if (isSchedulingRun(rt.run.state)) return true;
  return rt.run.state === 'succeeded' && rt.run.direction === 'drain';
}

/** Every watch of the run, as the store has it. */
function watchesOf(rt: RunRuntime): { taskId: string; stage: string; record: WatchRecord }[] {
  const out: { taskId: string; stage: string; record: WatchRecord }[] = [];
  for (const t of rt.compiled.tasks)
    for (const [stage, record] of Object.entries(rt.task(t.id).watches ?? {}))
      out.push({ taskId: t.id, stage, record });
  return out;
}

/** Whether every parent of the task (in the plan) has its watches settled: its traffic is where it put it. */
export function upstreamSettled(rt: RunRuntime, taskId: string): boolean {
  return rt.plannedTask(taskId).after.every((p) => Object.values(rt.task(p).watches ?? {}).every((w) => w.settled));
}

/** Tasks whose watch has moved traffic back and not yet moved it again. */
export function unsettledWatches(rt: RunRuntime): string[] {
  return [
    ...new Set(
      watchesOf(rt)
        .filter((w) => !w.record.settled)
        .map((w) => w.taskId),
    ),
  ];
}

/** Starts the watches that should run and are not, and stops them all when the run may not watch now. */
export function keepWatches(rt: RunRuntime): void {
  if (!mayWatch(rt)) {
    stopWatches(rt);
    return;
  }
  for (const w of watchesOf(rt)) {
    const key = keyOf(w.taskId, w.stage);
    if (!rt.watching.has(key)) startWatch(rt, w.taskId, w.stage, w.record);
  }
}

/** Stops every running watch of the run (they resume from their checkpoints when started again). */
export function stopWatches(rt: RunRuntime): void {
  for (const e of rt.watching.values()) e.abort.abort();
}

/** Stops every running watch and waits until they have stopped (a pause, a stop, the controller closing). */
export async function haltWatches(rt: RunRuntime): Promise<void> {
  const running = [...rt.watching.values()];
  stopWatches(rt);
  await Promise.all(running.map((e) => e.done));
}

function startWatch(rt: RunRuntime, taskId: string, stage: string, record: WatchRecord): void {
  const fn = rt.deps.watchers?.[record.uses as StageKind];
  if (!fn) return;
  const { clock, logger, options } = rt.deps;
  const planned = rt.plannedTask(taskId);
  const abort = new AbortController();
  const key = keyOf(taskId, stage);
  const ctx: WatchContext = {
    backend: rt.deps.backend,
    clock,
    signal: abort.signal,
    runId: rt.id,
    taskId,
    stageIndex: Number(stage),
    attempt: rt.task(taskId).attempt,
    service: planned.service,
    datacenter: rt.compiled.datacenter,
    with: record.with as WatchContext['with'],
    pacing: rt.compiled.pacing,
    pacer: rt.deps.pacer, // always present: one shape (see the stage context in executor.ts)
    targetUtilization: rt.compiled.pacing.targetUtilization,
    fleet: rt.fleet,
    state: record.state,
    resolutions: rt.resolutions,
    permits: rt.permits(planned.service),
    upstreamSettled: () => upstreamSettled(rt, taskId),
    checkpoint: async (state, settled) => {
      if (abort.signal.aborted) throw abort.signal.reason as Error;
      const was = rt.task(taskId).watches?.[stage];
      const watches = { ...rt.task(taskId).watches, [stage]: { ...record, state, settled } };
      await rt.commit({ tasks: [{ id: taskId, patch: { watches } }] });
      // The run may now finish (or must wait): tell the scheduler.
      if (was?.settled !== settled) rt.wake();
    },
    emit: async (event) => {
      await rt.commit({ events: [event] });
    },
  };
  const done = fn(ctx).then(
    () => {
      if (rt.watching.get(key)?.abort === abort) rt.watching.delete(key);
      rt.wake();
    },
    async (e: unknown) => {
      if (!abort.signal.aborted) {
        logger.warn(`watch of ${taskId} (stage ${Number(stage) + 1}): ${toMaelstromError(e).message}; again shortly`);
        // Not at once: a watch that fails as it starts would otherwise spin.
        await clock.sleep(options.retryDelayMs, abort.signal).catch(() => undefined);
      }
      if (rt.watching.get(key)?.abort === abort) rt.watching.delete(key);
      // From its last checkpoint, if the run still watches (after a drain succeeded nothing else would restart it).
      const latest = rt.task(taskId).watches?.[stage];
      if (!abort.signal.aborted && latest && mayWatch(rt)) startWatch(rt, taskId, stage, latest);
      rt.wake();
    },
  );
  rt.watching.set(key, { abort, done });
}
