/**
 * Watches an executing task: its health checks throughout, and how long it has been running against its history.
 *
 * Health gates progress: while any check is false or unknown (missing data is never healthy), the task is blocked
 * and every action its stage sends waits at the gate. Actions are held rather than the stage cancelled, so a stage
 * keeps its place and carries on when health returns.
 */
import type { Action, Backend } from '../backends/backend.js';
import { formatDuration } from '../model/duration.js';
import { MaelstromError } from '../model/errors.js';
import type { EngineEvent } from '../model/events.js';
import type { TaskState } from '../model/states.js';
import { allTrue, snapshotFor, type ConditionResult } from './conditions.js';
import type { RunRuntime } from './runtime.js';
import type { StuckFence } from './stuck.js';

/** Opens and closes the way to the backend for one task's actions. */
export class Gate {
  private isOpen = false;
  // A set kept for the gate's life: a fresh empty array each time is an array of another kind to V8 than one that
  // held functions, and every poll reads it.
  private readonly waiters = new Set<() => void>();

  get open(): boolean {
    return this.isOpen;
  }

  set(open: boolean): void {
    this.isOpen = open;
    if (!open || this.waiters.size === 0) return;
    const w = [...this.waiters];
    this.waiters.clear();
    for (const f of w) f();
  }

  async wait(signal?: AbortSignal): Promise<void> {
    while (!this.isOpen) {
      if (signal?.aborted) throw signal.reason as Error;
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          reject(signal?.reason as Error);
        };
        this.waiters.add(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
  }
}

/** The backend as a task's stages see it: the same, except that actions wait for the health gate. */
export function gatedBackend(backend: Backend, gate: Gate): Backend {
  // Actions that take pressure off the receivers pass a closed gate: holding them would prolong the trouble
  // the gate is closed for. A lower session teardown rate than the task last sent is one.
  const teardownRates = new Map<string, number>();
  const relieves = (action: Action): boolean => {
    if (action.kind === 'alerts.suppress') return true;
    if (action.kind !== 'sessions.teardown') return false;
    const last = teardownRates.get(`${action.service}/${action.datacenter}`);
    return last !== undefined && action.rate < last;
  };
  const gated: Backend = {
    name: backend.name,
    clock: backend.clock,
    supports: backend.supports,
    init: (o) => backend.init(o),
    close: () => backend.close(),
    snapshot: (o) => backend.snapshot(o),
    weights: (layer, service, o) => backend.weights(layer, service, o),
    baselineWeights: (layer, service, o) => backend.baselineWeights(layer, service, o),
    act: async (action, o) => {
      if (!relieves(action) && o?.relief !== true) {
        if (o?.unlessHeld === true && !gate.open) return { changed: false, held: true, detail: 'held by health' };
        await gate.wait(o?.signal);
      }
      if (action.kind === 'sessions.teardown') teardownRates.set(`${action.service}/${action.datacenter}`, action.rate);
      return backend.act(action, o);
    },
    ...(backend.oracle ? { oracle: backend.oracle } : {}),
  };
  return gated;
}

/** Why a task is held, besides its stages; the executor and the monitor share it to compute the task's state. */
export interface Holds {
  health?: string;
  post?: string;
}

/** The state an executing task shows: stuck first (it needs an operator), then blocked, else running. */
export function executingState(stuck: boolean | undefined, holds: Holds): TaskState {
  if (stuck) return 'stuck';
  return holds.health !== undefined || holds.post !== undefined ? 'blocked' : 'running';
}

export function holdReason(holds: Holds): string | undefined {
  return holds.health ?? holds.post;
}

/** Commits the task's state when it changed. */
export async function refreshState(
  rt: RunRuntime,
  taskId: string,
  holds: Holds,
  events: EngineEvent[] = [],
): Promise<void> {
  const rec = rt.task(taskId);
  const state = executingState(rec.stuck, holds);
  const reason = holdReason(holds);
  if (state === rec.state && reason === rec.reason && events.length === 0) return;
  const time = rt.deps.clock.now();
  const all =
    state === rec.state && reason === rec.reason
      ? events
      : [
          ...events,
          {
            type: 'task.state',
            time,
            runId: rt.id,
            taskId,
            state,
            stage: rec.stage,
            ...(reason ? { reason } : {}),
          } as const,
        ];
  await rt.commit({ tasks: [{ id: taskId, patch: { state, reason } }], events: all });
}

function okOf(r: ConditionResult): boolean | null {
  return r.verdict === 'true' ? true : r.verdict === 'false' ? false : null;
}

/**
 * Runs until `stop` aborts: evaluates health every `healthPollMs`, opens or closes the gate, emits a health event
 * when a check changes, and flags the task stuck once it runs past the stuck fence (see stuck.ts).
 */
export async function monitorTask(
  rt: RunRuntime,
  taskId: string,
  gate: Gate,
  holds: Holds,
  fence: StuckFence | undefined,
  stop: AbortSignal,
): Promise<void> {
  const planned = rt.plannedTask(taskId);
  const cond = rt.conditions(taskId);
  const { clock, backend, options } = rt.deps;
  const last = new Map<string, boolean | null>();
  // Health checks already false at the task's first evaluation. Such a check measures the very trouble the task is
  // there to end (errors in a datacenter being evacuated, say): gating on it would block the cure forever. It is
  // recorded and warned about, but does not gate on its absolute value until it has been true once during the task;
  // from then on it gates as any other. Missing data ("hold") is never exempted. A resumed task (it has stage
  // progress already) cannot tell a check failing before it started from one that failed during it, so it exempts
  // nothing: the check gates, and an operator may override it. Read before the first await, so that the stages
  // started alongside have not recorded progress yet.
  const start = rt.task(taskId);
  const resumed = start.stage > 0 || start.stageState !== undefined;
  const failingAtStart = new Set<string>();
  let first = !resumed;
  while (!stop.aborted) {
    if (planned.health.length === 0) {
      gate.set(true);
    } else {
      let results: ConditionResult[];
      try {
        const snap = await snapshotFor(backend, cond.conditionQueries(planned.health), stop);
        results = cond.check(planned.health, snap, rt.task(taskId).overrides?.conditions ?? []);
      } catch (e) {
        if (stop.aborted) return;
        // An unreadable world is not a healthy one.
        const message = e instanceof Error ? e.message : String(e);
        results = planned.health.map((h) => ({
          key: h.name ?? h.expr,
          verdict: 'hold',
          detail: `no reading: ${message}`,
          overridden: false,
        }));
      }
      if (stop.aborted) return;
      const time = clock.now();
      const events: EngineEvent[] = [];
      if (first) {
        first = false;
        for (const r of results) {
          if (r.verdict !== 'false') continue;
          failingAtStart.add(r.key);
          events.push({
            type: 'alert',
            time,
            runId: rt.id,
            taskId,
            severity: 'warning',
            message:
              `health ${r.key} of ${taskId} was failing before the task started${r.detail ? ` (${r.detail})` : ''}: ` +
              'it does not hold the task until it has been true once',
          });
        }
      }
      for (const r of results) if (r.verdict === 'true') failingAtStart.delete(r.key);
      for (const r of results) {
        const ok = okOf(r);
        if (last.get(r.key) === ok) continue;
        last.set(r.key, ok);
        const detail = r.detail ?? (r.overridden ? 'overridden' : undefined);
        const note =
          ok === false && failingAtStart.has(r.key) ? 'failing since before the task started, not gating' : undefined;
        const text = [detail, note].filter((x) => x !== undefined).join('; ');
        events.push({
          type: 'health',
          time,
          runId: rt.id,
          taskId,
          check: r.key,
          ok,
          ...(text ? { detail: text } : {}),
        });
      }
      const gating = results.filter((r) => !(r.verdict === 'false' && failingAtStart.has(r.key)));
      const healthy = allTrue(gating);
      const bad = gating.find((r) => r.verdict !== 'true');
      const wasHealthy = holds.health === undefined;
      const verdict = bad?.verdict === 'hold' ? 'unknown (missing data)' : 'false';
      holds.health = healthy
        ? undefined
        : `health ${bad?.key ?? ''} is ${verdict}${bad?.detail ? `: ${bad.detail}` : ''}`;
      if (!healthy && (wasHealthy || !gate.open)) {
        events.push({
          type: 'condition.blocked',
          time,
          runId: rt.id,
          taskId,
          condition: bad?.key ?? 'health',
          ...(bad?.detail ? { detail: bad.detail } : {}),
        });
      }
      // Commit the hold before closing the gate's state is observable, so what the store says matches.
      await refreshState(rt, taskId, holds, events);
      gate.set(healthy);
    }
    const rec = rt.task(taskId);
    if (
      fence !== undefined &&
      !rec.stuck &&
      rec.startedAt !== undefined &&
      clock.now() - rec.startedAt > fence.afterMs
    ) {
      const time = clock.now();
      const history =
        `the ${rt.compiled.stuckPercentile}th percentile of its last ${fence.samples} runs is ` +
        `${formatDuration(fence.percentileMs)}, their IQR ${formatDuration(fence.iqrMs)}`;
      const message =
        `task ${taskId} has run ${formatDuration(time - rec.startedAt)}, past its stuck fence of ` +
        `${formatDuration(fence.afterMs)} (${history}); ` +
        'its dependents wait for an operator (retry, skip, or override the dependency)';
      await rt.commit({
        tasks: [{ id: taskId, patch: { stuck: true, state: 'stuck' } }],
        events: [
          { type: 'task.state', time, runId: rt.id, taskId, state: 'stuck', stage: rec.stage, reason: message },
          { type: 'alert', time, runId: rt.id, taskId, severity: 'warning', message },
        ],
      });
      rt.deps.logger.warn(message);
    }
    try {
      await clock.sleep(options.healthPollMs, stop);
    } catch {
      return;
    }
  }
}

export function abortError(message: string): MaelstromError {
  return new MaelstromError('E_ABORTED', message);
}
