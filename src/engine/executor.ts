/**
 * The executor: carries one task through its stages, then waits for its post-conditions.
 *
 * Crash safety rests on three commits, each made before what it leads to:
 * - `stage.start` records the stage index and when it began, before the stage sends anything;
 * - the stage's own checkpoints record its progress before it acts on it;
 * - `stage.end` moves the index past the stage, before the next stage begins.
 * A controller that dies anywhere restarts the task at the recorded stage with the recorded progress; a stage
 * interrupted midway re-reads the world and continues (stages are idempotent), and a completed stage, whose end
 * was committed, is never run again.
 */
import { parseDuration } from '../model/duration.js';
import { DEFAULT_PROPAGATION_MS } from '../pacing/index.js';
import type { Stage, StageKind } from '../model/definitions.js';
import { MaelstromError, toMaelstromError } from '../model/errors.js';
import type { EngineEvent } from '../model/events.js';
import { stageContext, type StageContext, type StageResult } from '../stages/stage.js';
import { allTrue, snapshotFor } from './conditions.js';
import { upstreamSettled } from './guard.js';
import { Gate, gatedBackend, monitorTask, refreshState, type Holds } from './monitor.js';
import { consequenceOf, endOfThrow, type StageEnd } from './outcome.js';
import type { RunRuntime } from './runtime.js';
import { HISTORY_LIMIT, stuckFence, type StuckFence } from './stuck.js';

/**
 * The reason a task's health monitor or a stage's timer is stopped with once it is no longer needed: nobody reads
 * it, and one made once spares a DOMException (and its stack) per task and stage.
 */
const OVER = new MaelstromError('E_ABORTED', 'no longer needed');

/** What the executor keeps in TaskRecord.stageState: when the stage began, and the stage's own progress. */
interface Envelope {
  readonly startedAt: number;
  readonly state?: unknown;
}

function envelopeOf(v: unknown): Envelope | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const e = v as { startedAt?: unknown; state?: unknown };
  return typeof e.startedAt === 'number' ? { startedAt: e.startedAt, state: e.state } : undefined;
}

/** Name a stage is known by in events and `next`. */
export function stageLabel(stage: Stage, index: number): string {
  return stage.name ?? `${index + 1}:${stage.uses}`;
}

export type ExecutionEnd = 'succeeded' | 'failed' | 'interrupted';

/** Runs the task from its recorded stage to done (or failure); returns 'interrupted' when `signal` aborted it. */
export async function executeTask(rt: RunRuntime, taskId: string, signal: AbortSignal): Promise<ExecutionEnd> {
  const { clock, store } = rt.deps;
  const planned = rt.plannedTask(taskId);
  const key = {
    template: planned.template,
    service: planned.service,
    datacenter: rt.compiled.datacenter,
    plan: rt.run.plan,
  };
  const fence = stuckFenceOf(rt, await store.durations(key, HISTORY_LIMIT));
  const gate = new Gate();
  const holds: Holds = {};
  const monitorStop = new AbortController();
  const onAbort = (): void => {
    monitorStop.abort(signal.reason);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) onAbort();
  const monitor = monitorTask(rt, taskId, gate, holds, fence, monitorStop.signal).catch((e: unknown) => {
    rt.deps.logger.warn(`health monitor of ${taskId}: ${toMaelstromError(e).message}`);
  });
  try {
    const end = await runStages(rt, taskId, gate, signal);
    if (end !== 'succeeded') return end;
    const done = await awaitPost(rt, taskId, holds, signal);
    if (!done) return 'interrupted';
    monitorStop.abort(OVER);
    await monitor;
    const rec = rt.task(taskId);
    const time = clock.now();
    await rt.commit({
      tasks: [
        { id: taskId, patch: { state: 'succeeded', finishedAt: time, reason: undefined, stageState: undefined } },
      ],
      events: [{ type: 'task.state', time, runId: rt.id, taskId, state: 'succeeded', stage: rec.stage }],
    });
    if (rec.startedAt !== undefined) await store.recordDuration(key, time - rec.startedAt, time);
    return 'succeeded';
  } catch (e) {
    if (signal.aborted) return 'interrupted';
    throw e;
  } finally {
    signal.removeEventListener('abort', onAbort);
    monitorStop.abort(OVER);
    await monitor;
  }
}

/** The stuck fence of a task with these earlier durations: above the percentile by at least one step of the world. */
function stuckFenceOf(rt: RunRuntime, history: readonly number[]): StuckFence | undefined {
  const propagationMs = rt.deps.backend.oracle?.propagationMs('edge') ?? DEFAULT_PROPAGATION_MS.edge;
  const settleMs = parseDuration(rt.compiled.pacing.settle) ?? 0;
  return stuckFence(history, { percentile: rt.compiled.stuckPercentile, marginMs: propagationMs + settleMs });
}

async function fail(
  rt: RunRuntime,
  taskId: string,
  stageIndex: number,
  reason: string,
  extra: EngineEvent[] = [],
): Promise<'failed'> {
  const time = rt.deps.clock.now();
  await rt.commit({
    tasks: [{ id: taskId, patch: { state: 'failed', reason, stage: stageIndex } }],
    events: [...extra, { type: 'task.state', time, runId: rt.id, taskId, state: 'failed', stage: stageIndex, reason }],
  });
  rt.deps.logger.warn(`task ${taskId} failed: ${reason}`);
  return 'failed';
}

async function runStages(rt: RunRuntime, taskId: string, gate: Gate, signal: AbortSignal): Promise<ExecutionEnd> {
  const { clock, backend, options } = rt.deps;
  const planned = rt.plannedTask(taskId);
  const cond = rt.conditions(taskId);
  const stagedBackend = gatedBackend(backend, gate);
  let retries = 0;
  for (;;) {
    if (signal.aborted) return 'interrupted';
    const rec = rt.task(taskId);
    const index = rec.stage;
    const stage = planned.stages[index];
    if (!stage) return 'succeeded';
    const label = stageLabel(stage, index);
    let envelope = envelopeOf(rec.stageState);
    if (!envelope) {
      envelope = { startedAt: clock.now() };
      await rt.commit({
        tasks: [{ id: taskId, patch: { stage: index, stageState: envelope } }],
        events: [
          {
            type: 'stage.start',
            time: envelope.startedAt,
            runId: rt.id,
            taskId,
            stage: index,
            uses: stage.uses,
            detail: label,
          },
        ],
      });
    } else if (retries === 0) {
      await rt.commit({
        events: [
          {
            type: 'stage.start',
            time: clock.now(),
            runId: rt.id,
            taskId,
            stage: index,
            uses: stage.uses,
            detail: `${label} (resumed)`,
          },
        ],
      });
    }
    if (signal.aborted) return 'interrupted';

    // The library the engine was given decides which stages exist (lint checks `uses:` against the same kinds).
    const fn = Object.hasOwn(rt.deps.stages, stage.uses) ? rt.deps.stages[stage.uses as StageKind] : undefined;
    if (!fn) return fail(rt, taskId, index, `stage ${label}: unknown stage "${stage.uses}"`);

    // Resolve `with`; a reading it needs that is missing holds the stage, never guesses.
    let values: Record<string, import('../model/definitions.js').ParamValue> | undefined;
    while (!values) {
      const snap = await snapshotFor(backend, [], signal);
      const r = cond.resolveWith(stage.with, snap);
      if (r.kind === 'ok') values = r.values;
      else if (r.kind === 'error') return fail(rt, taskId, index, `stage ${label}: ${r.detail}`);
      else await clock.sleep(options.pollMs, signal);
    }

    const timeoutMs = stage.timeout !== undefined ? parseDuration(stage.timeout) : undefined;
    const deadline = timeoutMs !== undefined ? envelope.startedAt + timeoutMs : undefined;
    const stageAbort = new AbortController();
    const relay = (): void => {
      stageAbort.abort(signal.reason);
    };
    signal.addEventListener('abort', relay, { once: true });
    if (signal.aborted) relay();
    const timer = new AbortController();
    if (deadline !== undefined) {
      clock.sleep(Math.max(0, deadline - clock.now()), timer.signal).then(
        () => {
          stageAbort.abort(new MaelstromError('E_TIMEOUT', `stage ${label} timed out`));
        },
        () => undefined,
      );
    }
    const startedAt = envelope.startedAt;
    const ctx: StageContext = stageContext({
      backend: stagedBackend,
      clock,
      signal: stageAbort.signal,
      runId: rt.id,
      taskId,
      stageIndex: index,
      attempt: rec.attempt,
      service: planned.service,
      datacenter: rt.compiled.datacenter,
      with: values,
      pacing: rt.compiled.pacing,
      // Every key always present (undefined when absent), see stageContext: one shape for the stages' hot code.
      pacer: rt.deps.pacer,
      targetUtilization: rt.compiled.pacing.targetUtilization,
      fleet: rt.fleet,
      state: envelope.state,
      deadline,
      checkpoint: async (state) => {
        if (stageAbort.signal.aborted) throw stageAbort.signal.reason as Error;
        await rt.commit({ tasks: [{ id: taskId, patch: { stageState: { startedAt, state } satisfies Envelope } }] });
      },
      emit: async (event) => {
        await rt.commit({ events: [event] });
      },
      evaluate: async (expr) => {
        const snap = await snapshotFor(backend, cond.queries([expr]), stageAbort.signal);
        return cond.verdict(expr, snap).verdict;
      },
      approved: () => rt.task(taskId).approved === true,
      healthy: () => gate.open,
      resolutions: rt.resolutions,
      permits: rt.permits(planned.service),
      upstreamSettled: () => upstreamSettled(rt, taskId),
    });

    let end: StageEnd;
    let watch: unknown;
    try {
      const result: StageResult = await fn(ctx);
      end = { kind: result.outcome, ...(result.detail !== undefined ? { detail: result.detail } : {}) };
      // A stage that hands over a watch keeps regulating its result while the run goes on (see guard.ts).
      if (result.outcome === 'success' && result.watch !== undefined && rt.deps.watchers?.[stage.uses as StageKind])
        watch = result.watch;
    } catch (e) {
      if (signal.aborted) return 'interrupted';
      const err = toMaelstromError(e);
      const timedOut = stageAbort.signal.aborted;
      if (!timedOut && err.code !== 'E_INTERNAL' && err.retryable && retries < options.maxRetries) {
        retries++;
        rt.deps.logger.warn(
          `task ${taskId} stage ${label}: ${err.message}; trying again (${retries}/${options.maxRetries})`,
        );
        try {
          await clock.sleep(err.retryAfterMs ?? options.retryDelayMs, signal);
        } catch {
          return 'interrupted';
        }
        continue;
      }
      end = endOfThrow(err, timedOut);
    } finally {
      signal.removeEventListener('abort', relay);
      timer.abort(OVER);
    }
    if (signal.aborted) return 'interrupted';
    retries = 0;

    const time = clock.now();
    const endEvent: EngineEvent = {
      type: 'stage.end',
      time,
      runId: rt.id,
      taskId,
      stage: index,
      uses: stage.uses,
      outcome: end.kind,
      ...(end.detail !== undefined ? { detail: end.detail } : {}),
    };
    const next = consequenceOf(planned.stages, index, label, end);
    if (next.kind === 'fail') return fail(rt, taskId, index, next.reason, [endEvent]);
    const watches =
      watch === undefined
        ? {}
        : {
            watches: {
              ...rt.task(taskId).watches,
              [String(index)]: { uses: stage.uses, with: values, state: watch, settled: true },
            },
          };
    await rt.commit({
      tasks: [{ id: taskId, patch: { stage: next.stage, stageState: undefined, ...watches } }],
      events: [endEvent],
    });
    if (watch !== undefined) rt.wake();
  }
}

/** Waits until the post-conditions hold; past the timeout the task shows blocked (and keeps waiting). */
async function awaitPost(rt: RunRuntime, taskId: string, holds: Holds, signal: AbortSignal): Promise<boolean> {
  const { clock, backend, options } = rt.deps;
  const planned = rt.plannedTask(taskId);
  if (planned.post.length === 0) return true;
  const cond = rt.conditions(taskId);
  const since = clock.now();
  let announced = false;
  for (;;) {
    if (signal.aborted) return false;
    try {
      const snap = await snapshotFor(backend, cond.conditionQueries(planned.post), signal);
      const results = cond.check(planned.post, snap, rt.task(taskId).overrides?.conditions ?? []);
      if (allTrue(results)) {
        if (holds.post !== undefined) {
          holds.post = undefined;
          await refreshState(rt, taskId, holds);
        }
        return true;
      }
      const bad = results.find((r) => r.verdict !== 'true');
      if (!announced && clock.now() - since >= options.postTimeoutMs) {
        announced = true;
        const verdict = bad?.verdict === 'hold' ? 'unknown (missing data)' : 'false';
        const after = `${Math.round((clock.now() - since) / 1000)}s after the stages ended`;
        const detail = `post-condition ${bad?.key ?? ''} is still ${verdict} ${after}${bad?.detail ? `: ${bad.detail}` : ''}`;
        holds.post = detail;
        await refreshState(rt, taskId, holds, [
          { type: 'condition.blocked', time: clock.now(), runId: rt.id, taskId, condition: bad?.key ?? 'post', detail },
        ]);
      }
    } catch (e) {
      if (signal.aborted) return false;
      rt.deps.logger.warn(`task ${taskId}: post-conditions unreadable: ${toMaelstromError(e).message}`);
    }
    try {
      await clock.sleep(options.pollMs, signal);
    } catch {
      return false;
    }
  }
}
