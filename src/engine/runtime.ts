/**
 * The in-memory side of one run: a cache of its records, the tasks being executed and the means to wake the
 * scheduler. The store is the truth; every change goes through `commit`, which writes it (with its events) in one
 * transaction and only then updates the cache and tells subscribers. Nothing here survives a crash, and nothing
 * needs to: a restarted controller rebuilds it from the store.
 */
import type { Backend } from '../backends/backend.js';
import type { Pacer } from '../pacing/pacer.js';
import type { Clock } from '../model/clock.js';
import type { CompiledPlan, PlannedTask } from '../model/compiled.js';
import type { Condition, Definitions, Fleet, Stage } from '../model/definitions.js';
import { MaelstromError } from '../model/errors.js';
import type { EngineEvent } from '../model/events.js';
import type { ResolverRecords } from '../model/regulation.js';
import { objectListOf } from '../model/shapes.js';
import { RunState, TaskState } from '../model/states.js';
import type { StageLibrary, WatchLibrary } from '../stages/stage.js';
import type {
  AuditLog,
  RequestStore,
  ResolverStore,
  RunPatch,
  RunRecord,
  RunStore,
  TaskPatch,
  TaskRecord,
} from '../store/store.js';
import { TaskConditions } from './conditions.js';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

/** Timings of the engine, in the clock's ms. Defaults suit a real fleet; tests may shorten them. */
export interface EngineOptions {
  /** How often the scheduler re-checks pre-conditions of ready tasks. */
  readonly pollMs: number;
  /** How often health checks and stuck detection run for an executing task. */
  readonly healthPollMs: number;
  /** A pre-condition false (or unknown) this long turns the task from waiting to blocked. */
  readonly preBlockAfterMs: number;
  /** Post-conditions not true this long after the stages end turn the task blocked (it keeps watching). */
  readonly postTimeoutMs: number;
  /** A stage that fails with a retryable error (backend unreachable) is tried again after this delay... */
  readonly retryDelayMs: number;
  /** ...this many times before the task fails. */
  readonly maxRetries: number;
}

export const defaultEngineOptions: EngineOptions = {
  pollMs: 10_000,
  healthPollMs: 10_000,
  preBlockAfterMs: 300_000,
  postTimeoutMs: 600_000,
  retryDelayMs: 5_000,
  maxRetries: 10,
};

export interface EngineDeps {
  readonly definitions: Definitions;
  readonly backend: Backend;
  readonly store: RunStore & AuditLog & RequestStore & ResolverStore;
  readonly clock: Clock;
  readonly stages: StageLibrary;
  /** Watchers of the stage kinds that hand over a watch (self-regulating shifts); none: nothing is watched. */
  readonly watchers?: WatchLibrary;
  /** A pacer to use instead of the one each paced stage makes from the plan's pacing (tests, benchmarks). */
  readonly pacer?: Pacer;
  readonly logger: Logger;
  readonly options: EngineOptions;
  readonly publish: (events: readonly EngineEvent[]) => void;
}

export interface Execution {
  readonly abort: AbortController;
  readonly done: Promise<void>;
}

export interface Change {
  readonly run?: RunPatch;
  readonly tasks?: readonly { readonly id: string; readonly patch: TaskPatch }[];
  readonly events?: readonly EngineEvent[];
}

/** The literal of each state: a state read from the store is an equal string of another kind (see `shaped`). */
const runStates = new Map<string, RunState>(RunState.map((s) => [s, s]));
const taskStates = new Map<string, TaskState>(TaskState.map((s) => [s, s]));

/**
 * The task record with every field, in one order: the engine's hot code reads these records at every poll, and V8
 * optimises that code for the shapes (hidden classes) it has seen. Records built from patches by spreading, with
 * the keys each patch happened to carry, or decoded from the store after a restart, took a shape per history, and
 * a new one (a task that failed, was retried, got stuck…) threw the optimised code away ("wrong map"), to be
 * compiled again. The same for the state: a string decoded from the store is not the literal the code compares it
 * with. Absent fields are `undefined`, as they read.
 */
function shapedTask(t: TaskRecord): TaskRecord {
  return {
    runId: t.runId,
    id: t.id,
    state: taskStates.get(t.state) ?? t.state,
    stage: t.stage,
    stageState: t.stageState,
    attempt: t.attempt,
    startedAt: t.startedAt,
    finishedAt: t.finishedAt,
    reason: t.reason,
    stuck: t.stuck,
    approved: t.approved,
    approvals: t.approvals,
    overrides: t.overrides,
    watches: t.watches,
  };
}

/** The run record with every field, in one order (see `shapedTask`). */
function shapedRun(r: RunRecord): RunRecord {
  return {
    id: r.id,
    plan: r.plan,
    datacenter: r.datacenter,
    direction: r.direction === 'drain' ? 'drain' : 'restore',
    state: runStates.get(r.state) ?? r.state,
    compiled: r.compiled,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    reason: r.reason,
    criticalPath: r.criticalPath,
    analysis: r.analysis,
    actor: r.actor,
    stopIntent: r.stopIntent,
    origin: r.origin,
    handedOverTo: r.handedOverTo,
    trigger: r.trigger,
    proposal: r.proposal,
  };
}

/** A condition with every field, in one order (see `shapedTask`): definitions leave out the name or message at will. */
function shapedCondition(c: Condition): Condition {
  return { name: c.name, expr: c.expr, message: c.message };
}

/** A stage with every field, in one order (see `shapedTask`). */
function shapedStage(s: Stage): Stage {
  return { name: s.name, uses: s.uses, with: s.with, next: s.next, timeout: s.timeout, description: s.description };
}

/**
 * The planned task as the engine reads it at every poll, with every field in one order (see `shapedTask`): the plan
 * leaves out `expectedNote` when there is none, its conditions and stages carry the keys their definitions had, and
 * an empty list is another kind of array than a filled one (see `objectList`).
 * Only the engine's own lookups use it; the plan kept in the run record (and the store) is the plan as compiled.
 */
function shapedPlanned(t: PlannedTask): PlannedTask {
  return {
    id: t.id,
    service: t.service,
    runbook: t.runbook,
    task: t.task,
    template: t.template,
    after: objectListOf(t.after),
    weakAfter: objectListOf(t.weakAfter),
    params: t.params,
    stages: objectListOf(t.stages.map(shapedStage)),
    health: objectListOf(t.health.map(shapedCondition)),
    pre: objectListOf(t.pre.map(shapedCondition)),
    post: objectListOf(t.post.map(shapedCondition)),
    priority: t.priority,
    trafficType: t.trafficType,
    userFacing: t.userFacing,
    expectedMs: t.expectedMs,
    expectedNote: t.expectedNote,
    waits: t.waits,
  };
}

/** Why a driver's poll ended early (see `waitForWake`); nobody reads it, the sleep it ends is waited out quietly. */
const WOKEN = new MaelstromError('E_ABORTED', 'woken');

export class RunRuntime {
  run: RunRecord;
  readonly tasks = new Map<string, TaskRecord>();
  readonly planned = new Map<string, PlannedTask>();
  /**
   * The plan's tasks in its order, as `plannedTask` gives them (one shape, and one kind of array even for a plan of
   * no tasks, which `map` gives as an array of small integers: the driver's loops read them).
   */
  readonly plannedTasks: readonly PlannedTask[];
  readonly fleet: Fleet;
  readonly executing = new Map<string, Execution>();
  /** Progress of each task's current traffic shift, 0..1, from its shift.step events. */
  readonly progress = new Map<string, number>();
  /** Tasks blocked on their pre-conditions (as opposed to health or post-conditions). */
  readonly preBlocked = new Set<string>();
  /** Since when a ready task's pre-conditions have been false or unknown. */
  readonly preFalseSince = new Map<string, number>();
  /** Tasks an operator action is changing: the scheduler leaves them alone until the action is committed. */
  readonly held = new Set<string>();
  /** Watches being kept (see guard.ts), by `taskId#stage`. */
  readonly watching = new Map<string, Execution>();
  /** Set when the run's watches must stop for good (the controller closes, its datacenter is being restored). */
  unwatched = false;
  /** Set when the controller closes: the driver leaves its loop. */
  stopped = false;
  /** A proposed run's approval is being decided: its proposal does not lapse meanwhile. */
  deciding = false;
  /** The driver's loop, while it runs. */
  driving: Promise<void> | undefined;
  private readonly conditionsByTask = new Map<string, TaskConditions>();
  // One set for the runtime's life (see Gate in monitor.ts): a fresh empty array is another kind of array to V8.
  private readonly wakers = new Set<() => void>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly deps: EngineDeps,
    run: RunRecord,
    tasks: readonly TaskRecord[],
  ) {
    // The plan as the store keeps it (JSON): a run resumed after a restart reads it back from there, so a run started
    // here executes an equal plan of the same shapes, and the hot code sees one set of them whichever it is.
    this.run = shapedRun({ ...run, compiled: JSON.parse(JSON.stringify(run.compiled)) as CompiledPlan });
    for (const t of tasks) this.tasks.set(t.id, shapedTask(t));
    this.plannedTasks = objectListOf(run.compiled.tasks.map(shapedPlanned));
    for (const t of this.plannedTasks) this.planned.set(t.id, t);
    const fleet = deps.definitions.fleets.get(run.compiled.fleet);
    if (!fleet)
      throw new MaelstromError(
        'E_UNKNOWN_REF',
        `run ${run.id}: fleet "${run.compiled.fleet}" is not in the definitions`,
      );
    this.fleet = fleet;
  }

  get compiled(): CompiledPlan {
    return this.run.compiled;
  }

  get id(): string {
    return this.run.id;
  }

  /** The store's resolver records, for self-regulating stages: what they judged, and what worked before. */
  get resolutions(): ResolverRecords {
    const store = this.deps.store;
    return {
      record: (r) => store.recordResolution(r),
      stats: (o) => store.resolverStats(o),
    };
  }

  /** The stage kinds the service's tasks use in this run's plan (its runbook). */
  permits(service: string): ReadonlySet<string> {
    return new Set(
      this.compiled.tasks.filter((t) => t.service === service).flatMap((t) => t.stages.map((s) => s.uses)),
    );
  }

  conditions(taskId: string): TaskConditions {
    let c = this.conditionsByTask.get(taskId);
    if (!c) {
      c = new TaskConditions(this.plannedTask(taskId), this.fleet, this.compiled.pacing.targetUtilization);
      this.conditionsByTask.set(taskId, c);
    }
    return c;
  }

  plannedTask(id: string): PlannedTask {
    const t = this.planned.get(id);
    if (!t) throw new MaelstromError('E_NOT_FOUND', `run ${this.id} has no task "${id}"`);
    return t;
  }

  task(id: string): TaskRecord {
    const t = this.tasks.get(id);
    if (!t) throw new MaelstromError('E_NOT_FOUND', `run ${this.id} has no task "${id}"`);
    return t;
  }

  /**
   * Writes the change and its events in one transaction, then updates the cache and publishes the events.
   * Commits of one run are serialised so that events are journaled in the order they were decided.
   */
  commit(change: Change): Promise<readonly EngineEvent[]> {
    const next = this.queue.then(async () => {
      const events = change.events ?? [];
      const stamped = events.map((e) => (e.runId === undefined ? { ...e, runId: this.id } : e));
      const saved = await this.deps.store.commit({
        // Every key always present (undefined when absent): one shape for the store's commit, whatever changed.
        runId: this.id,
        run: change.run,
        tasks: change.tasks,
        events: stamped,
      });
      if (change.run) this.run = shapedRun({ ...this.run, ...change.run });
      for (const { id, patch } of change.tasks ?? []) {
        const t = this.tasks.get(id);
        if (t) this.tasks.set(id, shapedTask({ ...t, ...patch }));
      }
      for (const e of saved) {
        if (e.type === 'shift.step') this.progress.set(e.taskId, 1 - e.remaining);
      }
      this.deps.publish(saved);
      return saved;
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Wakes the scheduler loop (a task finished, an operator acted). */
  wake(): void {
    if (this.wakers.size === 0) return;
    const w = [...this.wakers];
    this.wakers.clear();
    for (const f of w) f();
  }

  /** Sleeps up to `ms` of the clock, returning early when woken. */
  async waitForWake(ms: number): Promise<void> {
    if (this.stopped) return;
    const ac = new AbortController();
    let waker: (() => void) | undefined;
    const woken = new Promise<void>((resolve) => {
      waker = resolve;
      this.wakers.add(resolve);
    });
    let elapsed = false;
    const slept = this.deps.clock.sleep(ms, ac.signal).then(
      () => {
        elapsed = true;
      },
      () => undefined,
    );
    await Promise.race([woken, slept]);
    // Only a sleep still waiting is cut short, with one reason made once: the driver waits like this at every poll
    // of every run, and an error made each time (with its stack) was a visible part of an execution's CPU.
    if (!elapsed) ac.abort(WOKEN);
    if (waker) this.wakers.delete(waker);
    await slept;
  }
}
