/**
 * The typed stream of everything that happens in a run. The store journals it, the server streams it, the
 * dashboard and the terminal view render it, reports are built from it.
 */
import type { DiagnosisKind, ResolutionOutcome, ResolverKind } from './regulation.js';
import type { OperatorAction, RunState, TaskState } from './states.js';

interface EventBase {
  /** Monotonic sequence number assigned by the store when the event is persisted. */
  readonly seq?: number;
  /** Time of the event on the run's clock, ms since the epoch. */
  readonly time: number;
  readonly runId?: string;
}

/** An operator action as the journal records it (see states.ts). */
export type OperatorActionKind = OperatorAction;

export type EngineEvent =
  | (EventBase & {
      readonly type: 'run.state';
      readonly runId: string;
      readonly plan: string;
      readonly state: RunState;
      readonly reason?: string;
    })
  | (EventBase & {
      readonly type: 'task.state';
      readonly runId: string;
      readonly taskId: string;
      readonly state: TaskState;
      readonly stage?: number;
      readonly reason?: string;
    })
  | (EventBase & {
      readonly type: 'stage.start' | 'stage.end';
      readonly runId: string;
      readonly taskId: string;
      readonly stage: number;
      readonly uses: string;
      readonly outcome?: string;
      readonly detail?: string;
    })
  | (EventBase & {
      readonly type: 'shift.step';
      readonly runId: string;
      readonly taskId: string;
      readonly layer: 'edge' | 'cluster';
      readonly service: string;
      readonly datacenter: string;
      readonly step: number;
      /** Share of the service's traffic still in the datacenter at this layer after the step, 0..1. */
      readonly remaining: number;
      readonly moved: number;
      readonly decision: 'grow' | 'hold' | 'shrink' | 'backoff' | 'fixed' | 'final' | 'move-back' | 'reroute';
      readonly reason?: string;
      /** The health manager's action this step carries out (its `regulation` event), when one does. */
      readonly action?: number;
      /** True for a step of a shift kept at its target after it finished (a watch), not of the stage itself. */
      readonly watch?: boolean;
    })
  | (EventBase & {
      /**
       * The health manager of a self-regulating shift or session teardown: a resolution it carried out (`acted`:
       * the symptoms it saw, the cause it diagnosed, what it does and expects) or, once that had propagated and
       * settled, how it was judged (`judged`).
       */
      readonly type: 'regulation';
      readonly runId: string;
      readonly taskId: string;
      readonly service: string;
      readonly datacenter: string;
      /** The shift's layer; absent for a session teardown. */
      readonly layer?: 'edge' | 'cluster';
      /** The action's number within its shift or teardown, from 1. */
      readonly action: number;
      readonly phase: 'acted' | 'judged';
      /** What was seen, in words, most severe first. */
      readonly symptoms: readonly string[];
      readonly diagnosis: DiagnosisKind;
      readonly resolver: ResolverKind;
      /** Acted: what it does and what it expects; judged: what was measured against that. */
      readonly detail: string;
      readonly outcome?: ResolutionOutcome;
      /** Acted: when it will be judged, ms since the epoch. */
      readonly judgeAt?: number;
    })
  | (EventBase & {
      readonly type: 'health';
      readonly runId: string;
      readonly taskId: string;
      readonly check: string;
      readonly ok: boolean | null;
      readonly detail?: string;
    })
  | (EventBase & {
      readonly type: 'condition.blocked';
      readonly runId: string;
      readonly taskId: string;
      readonly condition: string;
      readonly detail?: string;
    })
  | (EventBase & {
      readonly type: 'alert';
      readonly runId?: string;
      readonly taskId?: string;
      readonly severity: 'info' | 'warning' | 'critical';
      readonly message: string;
    })
  | (EventBase & {
      readonly type: 'operator';
      readonly runId?: string;
      readonly action: OperatorActionKind;
      readonly actor: string;
      readonly reason?: string;
      readonly target?: string;
    });

export type EngineEventType = EngineEvent['type'];
