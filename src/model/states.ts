/**
 * Every question about run and task states is answered here, so that the engine, the store, the server, the CLI,
 * the report and the dashboard agree on what "terminal", "can be paused" or "can be retried" means. Nothing else
 * compares states to decide what may happen; the server sends each run's and task's `allowedActions`, computed
 * here, and the dashboard draws its buttons from them.
 *
 * This module imports nothing, so that the dashboard can ask it too.
 */
export const RunState = [
  'proposed',
  'pending',
  'running',
  'paused',
  'blocked',
  'aborting',
  'succeeded',
  'failed',
  'aborted',
  'halted',
] as const;
export type RunState = (typeof RunState)[number];

export const TaskState = [
  'pending',
  'waiting',
  'running',
  'blocked',
  'stuck',
  'succeeded',
  'failed',
  'skipped',
  'cancelled',
] as const;
export type TaskState = (typeof TaskState)[number];

/** Operator actions on a whole run (`approve`: let a proposed run start). */
export const RunAction = ['approve', 'pause', 'resume', 'abort'] as const;
export type RunAction = (typeof RunAction)[number];

/** Operator actions on one task of a run. */
export const TaskAction = ['retry', 'skip', 'approve', 'override-condition', 'override-dependency'] as const;
export type TaskAction = (typeof TaskAction)[number];

/**
 * Every command an operator may give a run: `POST /api/v1/runs/:id/:action`, `maelstrom pause RUN`… `approve` is
 * both a run action (a proposed run, no task) and a task action (an approval stage): one command, the task optional.
 */
export const CommandAction = [
  'pause',
  'resume',
  'abort',
  'retry',
  'skip',
  'approve',
  'override-condition',
  'override-dependency',
] as const;
export type CommandAction = (typeof CommandAction)[number];

/** Compile-time proof that the commands are exactly the run and task actions. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const commandsAreTheActions: Same<CommandAction, RunAction | TaskAction> = true;
void commandsAreTheActions;

/**
 * Every operator action the journal and the audit log record: the commands, starting a run, proposing one (an
 * alert's trigger), and the global halt.
 */
export const OperatorAction = ['start', 'propose', 'pause', 'resume', 'abort', 'halt', ...TaskAction] as const;
export type OperatorAction = (typeof OperatorAction)[number];

/**
 * How a stopped run ends: `aborted` (an operator stopped this run) or `halted` (the global halt stopped every run).
 * The intent is stored with the `aborting` state, so that a controller restarted mid-stop finishes it the same way.
 */
export const StopIntent = ['aborted', 'halted'] as const;
export type StopIntent = (typeof StopIntent)[number];

// ------------------------------------------------------------------------------------------------- runs

/**
 * Proposed: created by an alert's trigger, showing its pre-flight, and waiting for an operator to approve it (then
 * it is pending) or for its proposal to lapse (then it is aborted). Nothing of it runs, and it holds no services:
 * another run may act on them meanwhile.
 */
export function isProposedRun(s: RunState): boolean {
  return s === 'proposed';
}

/** Approve a run: only a proposed one (approving it lets it start). */
export function canApproveRun(s: RunState): boolean {
  return s === 'proposed';
}

/** Acting on its services (or about to): unfinished and no longer a mere proposal. Two such runs may not overlap. */
export function isActingRun(s: RunState): boolean {
  return !isTerminalRun(s) && !isProposedRun(s);
}

export function isTerminalRun(s: RunState): boolean {
  return s === 'succeeded' || s === 'failed' || s === 'aborted' || s === 'halted';
}

/** Ended by an operator (abort) or the global halt, rather than by the plan running its course. */
export function isStoppedRun(s: RunState): boolean {
  return s === 'aborted' || s === 'halted';
}

/** The scheduler starts and resumes tasks only in these states (not paused, not stopping, not finished). */
export function isSchedulingRun(s: RunState): boolean {
  return s === 'pending' || s === 'running' || s === 'blocked';
}

export function canPause(s: RunState): boolean {
  return s === 'running' || s === 'blocked' || s === 'pending';
}

export function canResume(s: RunState): boolean {
  return s === 'paused';
}

export function canAbort(s: RunState): boolean {
  return !isTerminalRun(s) && s !== 'aborting';
}

/** Operator actions on the tasks of a run in this state: none before it is approved, once it stops, or has finished. */
export function acceptsTaskActions(s: RunState): boolean {
  return !isTerminalRun(s) && s !== 'aborting' && !isProposedRun(s);
}

/** What an operator may do to a run in this state, in the order the dashboard shows it. */
export function allowedRunActions(s: RunState): RunAction[] {
  const can: Record<RunAction, boolean> = {
    approve: canApproveRun(s),
    pause: canPause(s),
    resume: canResume(s),
    abort: canAbort(s),
  };
  return RunAction.filter((a) => can[a]);
}

// ------------------------------------------------------------------------------------------------ tasks

/** What the rules about one task look at: its record's state and flags. */
export interface TaskFacts {
  readonly state: TaskState;
  /** Flagged past the stuck percentile (it may have finished since). */
  readonly stuck?: boolean;
  /** An operator approved its approval stage. */
  readonly approved?: boolean;
  /** Set when its stages began; a task blocked without it is blocked on its pre-conditions. */
  readonly startedAt?: number;
}

/** What the rules about one task need to know of its plan and its parents. */
export interface TaskShape {
  /** It has an `approval` stage. */
  readonly hasApproval: boolean;
  /** It has pre-, health or post-conditions an operator could override. */
  readonly hasConditions: boolean;
  /** Of its parents, those an operator could override: weak ones, or stuck ones, not overridden yet. */
  readonly overridableDependencies: number;
}

export function isTerminalTask(s: TaskState): boolean {
  return s === 'succeeded' || s === 'failed' || s === 'skipped' || s === 'cancelled';
}

/** A dependent may start once its parent is in one of these states. */
export function isDoneTask(s: TaskState): boolean {
  return s === 'succeeded' || s === 'skipped';
}

/** States of a task between its first stage and its end: its stage index means something. */
export function isExecutingTask(s: TaskState): boolean {
  return s === 'running' || s === 'stuck' || s === 'blocked';
}

/** States from which the scheduler may start a task: it has not begun its stages (or waits on pre-conditions). */
export function isStartableTask(s: TaskState): boolean {
  return s === 'pending' || s === 'waiting';
}

/** Blocked on its pre-conditions: it has never started (no startedAt), so it goes back through them. */
export function isPreBlocked(t: TaskFacts): boolean {
  return t.state === 'blocked' && t.startedAt === undefined;
}

/** Was executing when the controller stopped (or was put back to executing by retry): the executor picks it up. */
export function isResumable(t: TaskFacts): boolean {
  return isExecutingTask(t.state) && t.startedAt !== undefined;
}

/**
 * Retry: a failed, blocked or stuck task runs again; a stuck task that finished anyway has nothing to run again,
 * and retrying it lets its dependents go.
 */
export function canRetry(t: TaskFacts): boolean {
  return t.state === 'failed' || t.state === 'blocked' || t.state === 'stuck' || (t.state === 'succeeded' && !!t.stuck);
}

/** Skip: anything not already done or cancelled, a failed task included. */
export function canSkip(t: TaskFacts): boolean {
  return t.state !== 'succeeded' && t.state !== 'skipped' && t.state !== 'cancelled';
}

/** Approve: a task with an approval stage, unfinished and not approved yet (an approval may come in advance). */
export function canApprove(t: TaskFacts, shape: Pick<TaskShape, 'hasApproval'>): boolean {
  return shape.hasApproval && !isTerminalTask(t.state) && !t.approved;
}

/** Override a condition or a dependency: only while the task has not finished. */
export function canOverride(t: TaskFacts): boolean {
  return !isTerminalTask(t.state);
}

/** What an operator may do to a task of a run in state `run`, in the order the dashboard shows it. */
export function allowedTaskActions(run: RunState, t: TaskFacts, shape: TaskShape): TaskAction[] {
  if (!acceptsTaskActions(run)) return [];
  const can: Record<TaskAction, boolean> = {
    retry: canRetry(t),
    skip: canSkip(t),
    approve: canApprove(t, shape),
    'override-condition': canOverride(t) && shape.hasConditions,
    'override-dependency': canOverride(t) && shape.overridableDependencies > 0,
  };
  return TaskAction.filter((a) => can[a]);
}

// ------------------------------------------------------------------------------------------------ tests

/**
 * A drain test of a schedule goes through its drain run, the hold (the datacenter kept drained), its restore run,
 * and is then done, with an outcome.
 */
export const TestPhase = ['draining', 'holding', 'restoring', 'done'] as const;
export type TestPhase = (typeof TestPhase)[number];

/**
 * How a drain test ended: `succeeded` (drained, held, restored); `aborted` (stopped early — an abort condition, its
 * time budget, an operator, an incident in another datacenter — and restored); `halted` (the tests' kill switch,
 * and restored); `handed-over` (an incident took its datacenter: stopped without a restore, so that traffic does not
 * return into a failing datacenter); `failed` (a run of it could not start or its restore did not succeed).
 */
export const TestOutcome = ['succeeded', 'aborted', 'halted', 'handed-over', 'failed'] as const;
export type TestOutcome = (typeof TestOutcome)[number];

export function isTerminalTestPhase(p: TestPhase): boolean {
  return p === 'done';
}

/** A test in this phase may still be cut short: its drain is running or its datacenter is held drained. */
export function canStopTest(p: TestPhase): boolean {
  return p === 'draining' || p === 'holding';
}
