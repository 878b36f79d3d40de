/**
 * The scheduler loop of one run: starts ready tasks whose pre-conditions hold (up to the plan's concurrency, best
 * priority first), resumes tasks that were executing when the controller stopped, keeps the run's state honest
 * (running, blocked when nothing can move without the world or an operator), and finishes the run when every
 * task is done.
 */
import { toMaelstromError } from '../model/errors.js';
import type { EngineEvent } from '../model/events.js';
import {
  isPreBlocked,
  isProposedRun,
  isResumable,
  isSchedulingRun,
  isStartableTask,
  isTerminalRun,
  isTerminalTask,
  type RunState,
} from '../model/states.js';
import { allTrue, snapshotFor, type ConditionResult } from './conditions.js';
import { executeTask } from './executor.js';
import { keepWatches, unsettledWatches } from './guard.js';
import { expireProposal, expiryOf } from './proposals.js';
import type { RunRuntime } from './runtime.js';
import { allDone, freeSlots, readyTasks, waitingOn } from './scheduler.js';

export function startExecution(rt: RunRuntime, taskId: string): void {
  if (rt.stopped) return;
  const abort = new AbortController();
  const done = executeTask(rt, taskId, abort.signal)
    .then(
      () => undefined,
      async (e: unknown) => {
        // A bug or a store failure: record it on the task rather than lose it, then let an operator decide.
        const err = toMaelstromError(e);
        rt.deps.logger.warn(`task ${taskId}: ${err.code}: ${err.message}`);
        if (abort.signal.aborted) return;
        try {
          const time = rt.deps.clock.now();
          const reason = `internal error: ${err.message}`;
          await rt.commit({
            tasks: [{ id: taskId, patch: { state: 'failed', reason } }],
            events: [{ type: 'task.state', time, runId: rt.id, taskId, state: 'failed', reason }],
          });
        } catch {
          /* the store is gone; the run resumes from what was committed */
        }
      },
    )
    .finally(() => {
      if (rt.executing.get(taskId)?.abort === abort) rt.executing.delete(taskId);
      rt.wake();
    });
  rt.executing.set(taskId, { abort, done });
}

/** Evaluates the pre-conditions of ready tasks and starts those that hold, within the free slots. */
async function startReady(rt: RunRuntime, slots: number): Promise<void> {
  const { clock, backend, options } = rt.deps;
  const ready = readyTasks(rt.plannedTasks, rt.tasks, (id) => isPreBlocked(rt.task(id))).filter(
    (t) => !rt.executing.has(t.id) && !rt.held.has(t.id),
  );
  if (ready.length === 0 || slots <= 0) return;
  const queries = new Set<string>();
  for (const t of ready) for (const q of rt.conditions(t.id).conditionQueries(t.pre)) queries.add(q);
  let snap: Awaited<ReturnType<typeof snapshotFor>> | undefined;
  let unreadable: string | undefined;
  try {
    snap = await snapshotFor(backend, [...queries]);
  } catch (e) {
    unreadable = toMaelstromError(e).message;
  }
  for (const t of ready) {
    if (slots <= 0) break;
    if (rt.stopped || !isSchedulingRun(rt.run.state)) return;
    const rec = rt.task(t.id);
    const results: ConditionResult[] = snap
      ? rt.conditions(t.id).check(t.pre, snap, rec.overrides?.conditions ?? [])
      : t.pre.map((c) => ({
          key: c.name ?? c.expr,
          verdict: 'hold',
          detail: `no reading: ${unreadable ?? ''}`,
          overridden: false,
        }));
    const time = clock.now();
    if (allTrue(results)) {
      rt.preFalseSince.delete(t.id);
      await rt.commit({
        tasks: [{ id: t.id, patch: { state: 'running', startedAt: rec.startedAt ?? time, reason: undefined } }],
        events: [{ type: 'task.state', time, runId: rt.id, taskId: t.id, state: 'running', stage: rec.stage }],
      });
      startExecution(rt, t.id);
      slots--;
      continue;
    }
    const bad = results.find((r) => r.verdict !== 'true');
    const verdict = bad?.verdict === 'hold' ? 'unknown (missing data)' : 'false';
    const detail = `pre-condition ${bad?.key ?? ''} is ${verdict}${bad?.detail ? `: ${bad.detail}` : ''}`;
    const since = rt.preFalseSince.get(t.id);
    const events: EngineEvent[] = [];
    if (since === undefined) {
      rt.preFalseSince.set(t.id, time);
      events.push({
        type: 'condition.blocked',
        time,
        runId: rt.id,
        taskId: t.id,
        condition: bad?.key ?? 'pre',
        detail,
      });
    }
    const state =
      since !== undefined && time - since >= options.preBlockAfterMs
        ? 'blocked'
        : rec.state === 'blocked'
          ? 'blocked'
          : 'waiting';
    if (state !== rec.state || detail !== rec.reason || events.length > 0) {
      if (state !== rec.state)
        events.push({ type: 'task.state', time, runId: rt.id, taskId: t.id, state, reason: detail });
      await rt.commit({ tasks: [{ id: t.id, patch: { state, reason: detail } }], events });
    }
  }
}

/** Why nothing can move, in a sentence, or undefined when something still can. */
function blockedReason(rt: RunRuntime): string | undefined {
  // Something still moves while any executing task is running (not held by health, post-conditions or stuck).
  if ([...rt.executing.keys()].some((id) => rt.task(id).state === 'running')) return undefined;
  const parts: string[] = [];
  for (const t of rt.plannedTasks) {
    const rec = rt.task(t.id);
    if (rec.state === 'failed') parts.push(`${t.id} failed (${rec.reason ?? 'no reason'})`);
    else if (rec.state === 'blocked') parts.push(`${t.id} is blocked (${rec.reason ?? 'no reason'})`);
    else if (rec.stuck && !isTerminalTask(rec.state)) parts.push(`${t.id} is stuck`);
    else if (isStartableTask(rec.state)) {
      const stuckParents = waitingOn(t, rt.tasks).filter((p) => rt.tasks.get(p)?.stuck === true);
      if (stuckParents.length > 0) parts.push(`${t.id} waits on stuck ${stuckParents.join(', ')}`);
    }
  }
  if (parts.length === 0) return undefined;
  const more = parts.length > 3 ? `; and ${parts.length - 3} more` : '';
  return `${parts.slice(0, 3).join('; ')}${more} — an operator may retry, skip, override or abort`;
}

/** When a task finished; -Infinity before it has (at module level: see `capacity` in plan/estimate.ts). */
function finishedAt(rt: RunRuntime, id: string): number {
  return rt.tasks.get(id)?.finishedAt ?? -Infinity;
}

/** The chain of tasks that determined the run's duration: from the last to finish, back through its latest parent. */
export function actualCriticalPath(rt: RunRuntime): string[] {
  let current = [...rt.tasks.keys()].sort((a, b) => finishedAt(rt, b) - finishedAt(rt, a))[0];
  const path: string[] = [];
  while (current !== undefined && !path.includes(current)) {
    path.unshift(current);
    const parents = rt.planned.get(current)?.after ?? [];
    current = [...parents].sort((a, b) => finishedAt(rt, b) - finishedAt(rt, a))[0];
  }
  return path;
}

async function setRunState(rt: RunRuntime, state: RunState, reason: string | undefined): Promise<void> {
  if (rt.run.state === state && rt.run.reason === reason) return;
  const time = rt.deps.clock.now();
  await rt.commit({
    run: { state, reason, ...(state === 'running' && rt.run.startedAt === undefined ? { startedAt: time } : {}) },
    events: [{ type: 'run.state', time, runId: rt.id, plan: rt.run.plan, state, ...(reason ? { reason } : {}) }],
  });
}

/** Drives the run until it ends (succeeds, or an operator aborts or halts it). */
export async function driveRun(rt: RunRuntime): Promise<void> {
  const { clock, options } = rt.deps;
  for (;;) {
    const state = rt.run.state;
    // Watches stop with the run (except a drain's, which keep its datacenter regulated until it is restored).
    keepWatches(rt);
    if (isTerminalRun(state) || rt.stopped) return;
    if (isProposedRun(state)) {
      // Nothing runs until an operator approves it (which wakes this loop), or its proposal lapses.
      const expiresAt = expiryOf(rt);
      if (expiresAt !== undefined && clock.now() >= expiresAt && !rt.deciding) {
        await expireProposal(rt);
        continue;
      }
      await rt.waitForWake(expiresAt === undefined ? options.pollMs : Math.max(1, expiresAt - clock.now()));
      continue;
    }
    if (!isSchedulingRun(state)) {
      // Paused or being stopped: nothing starts until an operator resumes it (or the stop completes).
      await rt.waitForWake(options.pollMs);
      continue;
    }
    if (state === 'pending') await setRunState(rt, 'running', undefined);

    for (const t of rt.plannedTasks) {
      const rec = rt.task(t.id);
      if (isResumable(rec) && !rt.executing.has(t.id) && !rt.held.has(t.id)) startExecution(rt, t.id);
    }
    await startReady(rt, freeSlots(rt.compiled.concurrency, rt.executing.size));
    if (!isSchedulingRun(rt.run.state)) continue;

    const unsettled = allDone(rt.tasks) && rt.executing.size === 0 ? unsettledWatches(rt) : [];
    if (unsettled.length > 0) {
      // Every task is done, but a watch moved traffic back: the drain is over once it has moved it again.
      const more = unsettled.length > 3 ? ` and ${unsettled.length - 3} more` : '';
      await setRunState(
        rt,
        'running',
        `regulating: ${unsettled.slice(0, 3).join(', ')}${more} moved traffic back while their receivers could not take it; ` +
          'done once it has moved again',
      );
      await rt.waitForWake(options.pollMs);
      continue;
    }
    if (allDone(rt.tasks) && rt.executing.size === 0) {
      const time = clock.now();
      const criticalPath = actualCriticalPath(rt);
      await rt.commit({
        run: { state: 'succeeded', finishedAt: time, reason: undefined, criticalPath },
        events: [{ type: 'run.state', time, runId: rt.id, plan: rt.run.plan, state: 'succeeded' }],
      });
      rt.deps.logger.info(`run ${rt.id} (${rt.run.plan}) succeeded`);
      return;
    }
    const reason = blockedReason(rt);
    await setRunState(rt, reason !== undefined ? 'blocked' : 'running', reason);
    await rt.waitForWake(options.pollMs);
  }
}
