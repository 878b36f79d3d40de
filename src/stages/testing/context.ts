/**
 * A StageContext for tests and benchmarks of stages: checkpoints and events kept in memory, conditions answered by
 * a function, the plan's pacing defaults. Lets a test run a stage, "crash" it (abort), and run it again from the
 * saved checkpoint, the way the executor does after a restart.
 */
import type { Backend } from '../../backends/backend.js';
import type { Fleet, Pacing } from '../../model/definitions.js';
import type { EngineEvent } from '../../model/events.js';
import type { Pacer } from '../../pacing/pacer.js';
import type { ConditionVerdict, StageContext, StageWith } from '../stage.js';

export interface TestContextOptions {
  readonly backend: Backend;
  readonly fleet: Fleet;
  readonly with: StageWith;
  readonly service?: string;
  readonly datacenter?: string;
  readonly pacing?: Partial<Pacing>;
  readonly pacer?: Pacer;
  readonly state?: unknown;
  readonly signal?: AbortSignal;
  readonly deadline?: number;
  readonly attempt?: number;
  readonly evaluate?: (expr: string) => ConditionVerdict | Promise<ConditionVerdict>;
  readonly approved?: () => boolean;
  /** Called after each checkpoint, e.g. to abort the stage at a chosen moment. */
  readonly onCheckpoint?: (state: unknown, count: number) => void;
}

export interface TestContext extends StageContext {
  /** Every checkpoint, in order; the last is what a restarted stage would load. */
  readonly checkpoints: unknown[];
  readonly events: EngineEvent[];
}

export function testContext(options: TestContextOptions): TestContext {
  const pacing: Pacing = { mode: 'closed-loop', targetUtilization: 0.85, settle: '60s', ...options.pacing };
  const checkpoints: unknown[] = [];
  const events: EngineEvent[] = [];
  return {
    backend: options.backend,
    clock: options.backend.clock,
    signal: options.signal ?? new AbortController().signal,
    runId: 'run-1',
    taskId: 'task-1',
    stageIndex: 0,
    attempt: options.attempt ?? 1,
    service: options.service ?? 'web',
    datacenter: options.datacenter ?? 'east',
    with: options.with,
    pacing,
    ...(options.pacer ? { pacer: options.pacer } : {}),
    targetUtilization: pacing.targetUtilization,
    fleet: options.fleet,
    state: options.state,
    ...(options.deadline !== undefined ? { deadline: options.deadline } : {}),
    checkpoints,
    events,
    async checkpoint(state) {
      // A deep copy, as a store would keep: later mutation by the stage must not change what was saved.
      checkpoints.push(JSON.parse(JSON.stringify(state)) as unknown);
      options.onCheckpoint?.(state, checkpoints.length);
    },
    async emit(event) {
      events.push(event);
    },
    async evaluate(expr) {
      return options.evaluate ? options.evaluate(expr) : 'hold';
    },
    approved: () => options.approved?.() ?? false,
  };
}
