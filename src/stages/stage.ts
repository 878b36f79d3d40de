/**
 * The contract between the executor and a stage of the library.
 *
 * The executor resolves a stage's `with` values (`${{ }}` interpolation), loads the stage's saved progress from the
 * store, and calls the stage function with a StageContext. A stage:
 * - reads the current state of the world before acting, so running it twice (after a crash, or a retry) is
 *   harmless: a second run sends no action that changes anything;
 * - acts only through `ctx.act` (which goes to Backend.act with the action's origin for the journal);
 * - saves its progress with `ctx.checkpoint` BEFORE acting on it, so an interrupted stage continues rather than
 *   repeats or skips;
 * - waits only through `ctx.clock.sleep` (never timers), honours `ctx.signal`, and never throws for an outcome the
 *   runbook can route (failure, timeout): it returns it. It throws only when aborted or on a bug.
 */
import type { Action, ActionResult, Backend } from '../backends/backend.js';
import type { Clock } from '../model/clock.js';
import type { Fleet, Pacing, ParamValue, StageKind, StageOutcome } from '../model/definitions.js';
import type { EngineEvent } from '../model/events.js';
import type { ResolverRecords } from '../model/regulation.js';
import type { Pacer } from '../pacing/pacer.js';

/** A stage's resolved `with` values. */
export type StageWith = Readonly<Record<string, ParamValue | readonly ParamValue[]>>;

/** A condition's value: `hold` when a reading it needs is missing (never treated as true). */
export type ConditionVerdict = 'true' | 'false' | 'hold';

export interface StageContext {
  readonly backend: Backend;
  readonly clock: Clock;
  /** Aborted when the run is paused, aborted or halted, or the stage's timeout passes. */
  readonly signal: AbortSignal;
  readonly runId: string;
  readonly taskId: string;
  /** Index of the stage in its task, and the task's attempt (1 on the first run, +1 per retry). */
  readonly stageIndex: number;
  readonly attempt: number;
  /** The task's service and datacenter (defaults for stages whose `with` omits them). */
  readonly service: string;
  readonly datacenter: string;
  /** The stage's `with`, already interpolated by the executor (a list, such as command.run's `args`, stays a list). */
  readonly with: StageWith;
  /** The plan's pacing, with its defaults applied. */
  readonly pacing: Pacing;
  /**
   * A pacer to use instead of the one a paced stage makes from `pacing` (with the propagation delay of its layer,
   * see createPacer in src/pacing). Optional: tests and benchmarks inject one.
   */
  readonly pacer?: Pacer;
  readonly targetUtilization: number;
  readonly fleet: Fleet;
  /** Stage-local progress saved by an earlier, interrupted run of this stage; undefined on a fresh start. */
  readonly state: unknown;
  /**
   * When the stage must give up with outcome `timeout` (clock ms), from the stage's `timeout`; stages that wait
   * check it. Undefined: no limit.
   */
  readonly deadline?: number;
  /**
   * Persists stage-local progress; resolves once committed. Call it before acting on that progress. The four
   * functions are closures over the stage's task (`this: void`): a context is copied member by member.
   */
  checkpoint(this: void, state: unknown): Promise<void>;
  /** Persists and publishes an event (the store assigns its sequence number). */
  emit(this: void, event: EngineEvent): Promise<void>;
  /** Evaluates a CEL condition against a fresh snapshot, with the task's params in scope. */
  evaluate(this: void, expr: string): Promise<ConditionVerdict>;
  /** Whether an operator approved this task's approval stage. */
  approved(this: void): boolean;
  /**
   * Whether the task's health checks pass now (its health gate is open): a self-regulating shift makes no growth
   * step while they fail. Absent: always.
   */
  readonly healthy?: () => boolean;
  /** Where judged resolutions of self-regulating stages are kept, and what earlier runs say worked. */
  readonly resolutions?: ResolverRecords;
  /** The stage kinds the service's runbook uses in this plan (a resolver may start jobs where it has jobs.start). */
  readonly permits?: ReadonlySet<string>;
  /**
   * Whether every task this one follows in the plan has its traffic where it put it (no watch of theirs has moved
   * traffic back): a self-regulating shift moves on only then, callers before callees as in the drain. Absent: yes.
   */
  readonly upstreamSettled?: () => boolean;
}

/**
 * The context with every key, always in the executor's order (undefined where absent). Stages are hot code that V8
 * optimises for the shapes of context it has seen: a context rebuilt by a wrapper of the stage library (a stage
 * fault, the what-if clock) with other members in another kind of object was a second shape, and meeting it threw
 * the stages' optimised code away ("wrong map"). Built by this one literal, every context has one shape.
 */
export function stageContext(c: StageContext): StageContext {
  return {
    backend: c.backend,
    clock: c.clock,
    signal: c.signal,
    runId: c.runId,
    taskId: c.taskId,
    stageIndex: c.stageIndex,
    attempt: c.attempt,
    service: c.service,
    datacenter: c.datacenter,
    with: c.with,
    pacing: c.pacing,
    pacer: c.pacer,
    targetUtilization: c.targetUtilization,
    fleet: c.fleet,
    state: c.state,
    deadline: c.deadline,
    checkpoint: c.checkpoint,
    emit: c.emit,
    evaluate: c.evaluate,
    approved: c.approved,
    healthy: c.healthy,
    resolutions: c.resolutions,
    permits: c.permits,
    upstreamSettled: c.upstreamSettled,
  };
}

/**
 * The context with some of its members replaced, for a wrapper of the stage library (a stage fault, the what-if
 * clock). The engine's context (a plain object) is rebuilt in its one shape (see stageContext); any other keeps its
 * prototype and every own property, methods included.
 */
export function withContextMembers(ctx: StageContext, members: Partial<StageContext>): StageContext {
  if (Object.getPrototypeOf(ctx) === Object.prototype) return stageContext({ ...ctx, ...members });
  const descriptors: PropertyDescriptorMap = {};
  for (const [k, v] of Object.entries(members)) descriptors[k] = { value: v, enumerable: true };
  return Object.create(Object.getPrototypeOf(ctx) as object, {
    ...Object.getOwnPropertyDescriptors(ctx),
    ...descriptors,
  }) as StageContext;
}

export interface StageResult {
  readonly outcome: StageOutcome;
  readonly detail?: string;
  /**
   * A stage that keeps regulating what it did once it is over (a self-regulating traffic shift at its target)
   * hands its state over here: the engine keeps it watched by the library's watcher of that stage kind until the
   * run ends, and the run does not finish while a watch has moved traffic back.
   */
  readonly watch?: unknown;
}

export type StageFn = (ctx: StageContext) => Promise<StageResult>;

/**
 * What a watch sees: a stage's context without the stage's own bookkeeping. Its backend is the engine's, not the
 * task's gated one (a watch carries out the regulation that health calls for), and it checkpoints its state with
 * whether it is settled: at its target, so that the run may finish.
 */
export interface WatchContext extends Omit<
  StageContext,
  'checkpoint' | 'deadline' | 'evaluate' | 'approved' | 'healthy'
> {
  checkpoint(state: unknown, settled: boolean): Promise<void>;
}

/** Keeps a finished stage's result regulated until its signal aborts (the run ended, or the controller stops). */
export type WatchFn = (ctx: WatchContext) => Promise<void>;

/** The watchers of the stage kinds whose stages hand over a watch. */
export type WatchLibrary = Readonly<Partial<Record<StageKind, WatchFn>>>;

/** How an action meets the task's health gate. */
export interface ActMode {
  /** It takes pressure off the receivers (traffic moved back or around them): it passes a closed gate. */
  readonly relief?: boolean;
  /** Rather than wait at a closed gate, do not send it (the answer says it was held). */
  readonly unlessHeld?: boolean;
}

/** Sends an action to the backend with the stage's origin, so the journal shows who sent it. */
export function act(ctx: StageContext | WatchContext, action: Action, mode: ActMode = {}): Promise<ActionResult> {
  return ctx.backend.act(action, {
    signal: ctx.signal,
    origin: { runId: ctx.runId, taskId: ctx.taskId, stage: ctx.stageIndex, attempt: ctx.attempt },
    ...(mode.relief ? { relief: true } : {}),
    ...(mode.unlessHeld ? { unlessHeld: true } : {}),
  });
}

/** Every stage kind of the library, for lint and for refusing a plan whose backend lacks an action. */
export type StageLibrary = Readonly<Record<StageKind, StageFn>>;
