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
  /**
   * The lease epoch of the controller that committed the event (see the store's fencing): along the journal it never
   * decreases. Absent on events committed before epochs existed, and on events not yet stored.
   */
  readonly epoch?: number;
}

/**
 * What happened to a controller on a shared store: it began leading (`leading`, with its epoch), stood by, handed
 * the lease to a standby in another datacenter (`handover`), held its runs because the store failed (`held`, with
 * the error and the runs held) and resumed them (`resumed`), or started a drain of its own datacenter as an
 * emergency (`override`, with the reason).
 */
export type ControllerChange = 'leading' | 'standby' | 'handover' | 'held' | 'resumed' | 'override';

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
    })
  | (EventBase & {
      readonly type: 'controller';
      readonly change: ControllerChange;
      /** The controller, `host/pid/nonce`. */
      readonly controller: string;
      readonly datacenter?: string;
      /** For `handover`: the standby the lease went to. */
      readonly to?: string;
      /** Runs held (`held`) or resumed (`resumed`). */
      readonly runs?: readonly string[];
      /** The store's error (`held`), or an override's reason. */
      readonly detail?: string;
    });

export type EngineEventType = EngineEvent['type'];

/** A controller event in words: `held 2 run(s): store: connection refused`, `handed the lease to …`. */
export function controllerText(e: Extract<EngineEvent, { type: 'controller' }>): string {
  const runs = e.runs?.length ? ` ${e.runs.length} run(s)` : '';
  const detail = e.detail ? `: ${e.detail}` : '';
  switch (e.change) {
    case 'leading':
      return `leading${e.epoch !== undefined ? ` (epoch ${e.epoch})` : ''}`;
    case 'standby':
      return `standing by${detail}`;
    case 'handover':
      return `handed the lease to ${e.to ?? 'a standby'}${detail}`;
    case 'held':
      return `holding${runs} while the store fails${detail}`;
    case 'resumed':
      return `the store answers again: resumed${runs}`;
    case 'override':
      return `emergency start in its own datacenter${detail}`;
  }
}
