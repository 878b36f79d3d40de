/**
 * Operator actions on a run. Each is checked first (a bad request changes nothing), recorded as an `operator`
 * event in the same transaction as the change it makes, and written to the audit log with who, when and why.
 *
 * Tasks that an action changes are held away from the scheduler while it interrupts them, so the scheduler never
 * restarts a task between the interruption and the committed change.
 */
import { commandTask } from '../model/api.js';
import type { Actor, OperatorCommand } from './controller.js';
import { MaelstromError } from '../model/errors.js';
import type { EngineEvent, OperatorActionKind } from '../model/events.js';
import {
  acceptsTaskActions,
  canAbort,
  canOverride,
  canPause,
  canResume,
  canRetry,
  canSkip,
  isPreBlocked,
  isTerminalRun,
  isTerminalTask,
  type RunState,
  type StopIntent,
} from '../model/states.js';
import type { RunPatch, TaskPatch, TaskRecord } from '../store/store.js';
import { approveRun, taskApproval, type Admit } from './approvals.js';
import { conditionKey } from './conditions.js';
import { haltWatches } from './guard.js';
import type { RunRuntime } from './runtime.js';

function operatorEvent(
  rt: RunRuntime,
  action: OperatorActionKind,
  actor: Actor,
  reason: string | undefined,
  target: string | undefined,
): EngineEvent {
  return {
    type: 'operator',
    time: rt.deps.clock.now(),
    runId: rt.id,
    action,
    actor: actor.name,
    ...(reason !== undefined ? { reason } : {}),
    ...(target !== undefined ? { target } : {}),
  };
}

function requireReason(action: string, reason: string | undefined): string {
  if (reason === undefined || reason.trim() === '')
    throw new MaelstromError('E_BAD_REQUEST', `${action} needs a reason (it is recorded for the postmortem)`);
  return reason.trim();
}

function invalid(rt: RunRuntime, what: string): MaelstromError {
  return new MaelstromError('E_INVALID_STATE', `run ${rt.id} is ${rt.run.state}: ${what}`);
}

function mayOverride(taskId: string, rec: TaskRecord): void {
  if (!canOverride(rec))
    throw new MaelstromError('E_INVALID_STATE', `task ${taskId} is ${rec.state}: there is nothing left to override`);
}

/** Stops the given executing tasks and waits until they have stopped. */
async function interrupt(rt: RunRuntime, taskIds: readonly string[], why: string): Promise<void> {
  const running = taskIds.map((id) => rt.executing.get(id)).filter((e) => e !== undefined);
  for (const e of running) e.abort.abort(new MaelstromError('E_ABORTED', why));
  await Promise.all(running.map((e) => e.done));
}

/**
 * Ends the run as aborted or halted: records the intent first (so a crash mid-way finishes the job on restart),
 * stops every stage, then cancels every unfinished task. `also` is written with the intent (the run an incident
 * handed a drain test's datacenter over to).
 */
export async function stopRun(
  rt: RunRuntime,
  final: StopIntent,
  actor: Actor,
  reason: string | undefined,
  action: OperatorActionKind,
  also: Pick<RunPatch, 'handedOverTo'> = {},
): Promise<void> {
  const restore = rt.compiled.restorePlan;
  const undo = restore ? `; to undo what was done, run the restore plan "${restore}"` : '';
  const why = `${final} by ${actor.name}${reason ? `: ${reason}` : ''}${undo}`;
  await rt.commit({
    // The intent goes with the state, in the same commit: a controller restarted mid-stop finishes it the same way.
    run: { state: 'aborting', stopIntent: final, reason: why, ...also },
    events: [
      operatorEvent(rt, action, actor, reason, rt.id),
      { type: 'run.state', time: rt.deps.clock.now(), runId: rt.id, plan: rt.run.plan, state: 'aborting', reason: why },
    ],
  });
  await interrupt(rt, [...rt.executing.keys()], why);
  await haltWatches(rt);
  await finishStop(rt, final, why);
}

/** The second half of a stop, also used when a controller restarts and finds a run in `aborting`. */
export async function finishStop(rt: RunRuntime, final: StopIntent, why: string): Promise<void> {
  const time = rt.deps.clock.now();
  const unfinished = rt.compiled.tasks.filter((t) => !isTerminalTask(rt.task(t.id).state));
  await rt.commit({
    run: { state: final, finishedAt: time, reason: why },
    tasks: unfinished.map((t) => ({ id: t.id, patch: { state: 'cancelled', finishedAt: time, reason: why } })),
    events: [
      ...unfinished.map((t): EngineEvent => ({
        type: 'task.state',
        time,
        runId: rt.id,
        taskId: t.id,
        state: 'cancelled',
        reason: why,
      })),
      { type: 'run.state', time, runId: rt.id, plan: rt.run.plan, state: final, reason: why },
    ],
  });
  rt.wake();
}

async function changeTask(
  rt: RunRuntime,
  taskId: string,
  patch: TaskPatch,
  event: EngineEvent,
  interruptFirst: boolean,
): Promise<void> {
  rt.held.add(taskId);
  try {
    if (interruptFirst)
      await interrupt(
        rt,
        [taskId],
        `${event.type === 'operator' ? event.action : 'operator'} by ${event.type === 'operator' ? event.actor : ''}`,
      );
    const time = rt.deps.clock.now();
    const events: EngineEvent[] = [event];
    if (patch.state !== undefined)
      events.push({
        type: 'task.state',
        time,
        runId: rt.id,
        taskId,
        state: patch.state,
        ...(patch.reason ? { reason: patch.reason } : {}),
      });
    // An operator acting on a blocked run lets it move again; the scheduler re-derives blocked if it still is.
    const run = rt.run.state === 'blocked' ? { state: 'running' as RunState, reason: undefined } : undefined;
    await rt.commit({ ...(run ? { run } : {}), tasks: [{ id: taskId, patch }], events });
  } finally {
    rt.held.delete(taskId);
    rt.preFalseSince.delete(taskId);
    rt.wake();
  }
}

/**
 * Applies one operator command to a run this controller holds; `admit` makes room for a proposed run approved (the
 * engine's: drain tests in the way are handed over to it).
 */
export async function applyCommand(
  rt: RunRuntime,
  command: OperatorCommand,
  actor: Actor,
  admit?: Admit,
): Promise<void> {
  const state = rt.run.state;
  if (isTerminalRun(state)) throw invalid(rt, `${command.action} is not possible on a finished run`);
  if (commandTask(command) !== undefined && !acceptsTaskActions(state))
    throw invalid(
      rt,
      state === 'proposed'
        ? 'approve the run first; its tasks are not acted on before'
        : 'it is being stopped; its tasks are left alone',
    );
  switch (command.action) {
    case 'pause': {
      if (!canPause(state)) throw invalid(rt, 'only a pending, running or blocked run can be paused');
      await rt.commit({
        run: { state: 'paused', reason: `paused by ${actor.name}${command.reason ? `: ${command.reason}` : ''}` },
        events: [
          operatorEvent(rt, 'pause', actor, command.reason, rt.id),
          { type: 'run.state', time: rt.deps.clock.now(), runId: rt.id, plan: rt.run.plan, state: 'paused' },
        ],
      });
      // Stages stop where they are; resume continues them from their checkpoints, as after a crash.
      await interrupt(rt, [...rt.executing.keys()], 'paused');
      await haltWatches(rt);
      return;
    }
    case 'resume': {
      if (!canResume(state)) throw invalid(rt, 'only a paused run can be resumed');
      await rt.commit({
        run: { state: 'running', reason: undefined },
        events: [
          operatorEvent(rt, 'resume', actor, command.reason, rt.id),
          { type: 'run.state', time: rt.deps.clock.now(), runId: rt.id, plan: rt.run.plan, state: 'running' },
        ],
      });
      rt.wake();
      return;
    }
    case 'abort': {
      if (!canAbort(state)) throw invalid(rt, 'it is already being aborted');
      await stopRun(rt, 'aborted', actor, command.reason, 'abort');
      return;
    }
    case 'retry': {
      const rec = rt.task(command.task);
      const event = operatorEvent(rt, 'retry', actor, command.reason, command.task);
      if (!canRetry(rec)) {
        throw new MaelstromError(
          'E_INVALID_STATE',
          `task ${command.task} is ${rec.state}: only a failed, blocked or stuck task can be retried`,
        );
      }
      if (rec.state === 'succeeded') {
        // Nothing to run again: the operator has looked at the slow task and lets its dependents go.
        await changeTask(rt, command.task, { stuck: false }, event, false);
        return;
      }
      const patch: TaskPatch = isPreBlocked(rec)
        ? { state: 'pending', reason: undefined }
        : // From the stage it stopped at, with fresh stage progress: the stage re-reads the world anyway.
          {
            state: 'running',
            attempt: rec.attempt + 1,
            stageState: undefined,
            stuck: false,
            reason: undefined,
            finishedAt: undefined,
          };
      await changeTask(rt, command.task, patch, event, true);
      return;
    }
    case 'skip': {
      const reason = requireReason('skip', command.reason);
      const rec = rt.task(command.task);
      if (!canSkip(rec)) {
        throw new MaelstromError('E_INVALID_STATE', `task ${command.task} is ${rec.state}: there is nothing to skip`);
      }
      const patch: TaskPatch = {
        state: 'skipped',
        finishedAt: rt.deps.clock.now(),
        reason: `skipped by ${actor.name}: ${reason}`,
        stuck: false,
      };
      await changeTask(rt, command.task, patch, operatorEvent(rt, 'skip', actor, reason, command.task), true);
      return;
    }
    case 'approve': {
      if (command.task === undefined) {
        await approveRun(rt, actor, command.reason, admit);
        return;
      }
      const { patch, event } = taskApproval(rt, command.task, actor, command.reason);
      await changeTask(rt, command.task, patch, event, false);
      return;
    }
    case 'override-condition': {
      const reason = requireReason('override-condition', command.reason);
      const planned = rt.plannedTask(command.task);
      const all = [...planned.pre, ...planned.health, ...planned.post];
      const found = all.find((c) => conditionKey(c) === command.condition || c.expr === command.condition);
      if (!found) {
        throw new MaelstromError(
          'E_BAD_REQUEST',
          `task ${command.task} has no condition "${command.condition}" ` +
            `(conditions: ${all.map(conditionKey).join(', ') || 'none'})`,
        );
      }
      const rec = rt.task(command.task);
      mayOverride(command.task, rec);
      const overrides = {
        conditions: [...new Set([...(rec.overrides?.conditions ?? []), conditionKey(found)])],
        dependencies: rec.overrides?.dependencies ?? [],
      };
      await changeTask(
        rt,
        command.task,
        { overrides },
        operatorEvent(rt, 'override-condition', actor, reason, `${command.task}#${conditionKey(found)}`),
        false,
      );
      return;
    }
    case 'override-dependency': {
      const reason = requireReason('override-dependency', command.reason);
      const planned = rt.plannedTask(command.task);
      if (!planned.after.includes(command.dependency)) {
        throw new MaelstromError(
          'E_BAD_REQUEST',
          `task ${command.task} does not depend on ${command.dependency} ` +
            `(it depends on: ${planned.after.join(', ') || 'nothing'})`,
        );
      }
      const parent = rt.task(command.dependency);
      if (!planned.weakAfter.includes(command.dependency) && !parent.stuck) {
        throw new MaelstromError(
          'E_BAD_REQUEST',
          `the dependency of ${command.task} on ${command.dependency} is strong: ` +
            'breaking its order breaks correctness, so it cannot be overridden',
        );
      }
      const rec = rt.task(command.task);
      mayOverride(command.task, rec);
      const overrides = {
        conditions: rec.overrides?.conditions ?? [],
        dependencies: [...new Set([...(rec.overrides?.dependencies ?? []), command.dependency])],
      };
      await changeTask(
        rt,
        command.task,
        { overrides },
        operatorEvent(rt, 'override-dependency', actor, reason, `${command.task}<-${command.dependency}`),
        false,
      );
      return;
    }
  }
}
