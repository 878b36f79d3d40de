/**
 * The shown run: its state and reason, the operator's buttons, its task DAG, the selected task, and the time slider
 * over its timeline (which redraws the DAG as it was).
 */
import { Actions } from './Actions';
import {
  clock,
  duration,
  pct,
  type EngineEvent,
  type OperatorCommand,
  type RunView,
  type TaskView,
  type TimelineCut,
} from './api';
import type { Pending } from './Confirm';
import { Dag } from './Dag';
import { regulationOf } from './regulation';
import { TimeSlider } from './TimeSlider';
import type { PastView } from './useDashboard';

interface Props {
  readonly run: RunView;
  readonly canOperate: boolean;
  readonly blockedOn: ReadonlyMap<string, string>;
  readonly send: (runId: string, command: OperatorCommand) => Promise<void>;
  readonly confirm: (pending: Pending) => void;
  /** The selected task (a deep link may have chosen it), and how to choose another. */
  readonly selected: string | undefined;
  readonly onSelect: (taskId: string) => void;
  /** The run's events: the selected task's self-regulation is read from them. */
  readonly events?: readonly EngineEvent[];
  /** The time slider: how many changes the run's timeline has, where it stands, how to move it. */
  readonly steps?: number;
  readonly past?: PastView;
  readonly travel?: (index: number | undefined) => void;
}

/** The run's tasks as the cut has them: each one's state and stage then (pending when the cut has none yet). */
function tasksAt(run: RunView, cut: TimelineCut): { state: RunView['state']; tasks: TaskView[] } {
  const then = cut.runs.find((r) => r.id === run.id);
  const byId = new Map(then?.tasks.map((t) => [t.id, t]));
  const tasks = run.tasks.map((t): TaskView => {
    const was = byId.get(t.id);
    const { progress: _progress, stuck: _stuck, ...rest } = t;
    return { ...rest, state: (was?.state ?? 'pending') as TaskView['state'], stage: was?.stage ?? 0 };
  });
  return { state: (then?.state ?? 'pending') as RunView['state'], tasks };
}

export function RunPanel(props: Props) {
  const { run, canOperate, blockedOn, send, confirm, selected, onSelect, events = [] } = props;
  const then = props.past?.cut ? tasksAt(run, props.past.cut) : undefined;
  const tasks = then?.tasks ?? run.tasks;
  const state = then?.state ?? run.state;
  const task = tasks.find((t) => t.id === selected);
  const regulation = task ? regulationOf(events, task.id) : [];
  const critical = new Set(run.criticalPath ?? []);
  return (
    <div className="panel" data-testid="run">
      <h2>
        Run {run.plan}{' '}
        <span className={`badge b-${state}`} data-testid="run-badge">
          {state}
        </span>
        <span className="muted small">
          {' '}
          started {clock(run.startedAt)}
          {run.finishedAt ? ` · took ${duration(run.finishedAt - (run.startedAt ?? run.createdAt))}` : ''}
        </span>
      </h2>
      {run.reason && <p className="muted">{run.reason}</p>}
      {canOperate && (
        <Actions
          run={run}
          {...(task ? { task } : {})}
          {...(task && blockedOn.has(task.id) ? { blockedOn: blockedOn.get(task.id) } : {})}
          send={(command) => send(run.id, command)}
          confirm={confirm}
        />
      )}
      {props.travel && <TimeSlider steps={props.steps ?? 0} past={props.past} travel={props.travel} />}
      <Dag tasks={tasks} critical={critical} selected={selected} onSelect={onSelect} held={state === 'paused'} />
      {task && (
        <p className="small" data-testid="task-detail">
          {task.id} · {task.template} · {task.state}
          {task.approved ? ' · approved' : ''}
          {!task.approved && task.approvals?.length
            ? ` · approved by ${task.approvals.map((a) => a.actor).join(', ')} of ${task.approvers ?? 1} needed`
            : ''}
          {task.progress !== undefined ? ` · shift ${pct(task.progress)}` : ''} · stages {task.stages.join(' → ')}
          {task.reason ? ` · ${task.reason}` : ''}
        </p>
      )}
      {regulation.length > 0 && (
        <ol className="regulation small" data-testid="regulation" aria-label="Self-regulation of the selected task">
          {regulation.map((r) => (
            <li key={r.key} data-outcome={r.outcome ?? 'pending'}>
              <span className="symptom">{r.symptom}</span> → <span className="diagnosis">{r.diagnosis}</span> →{' '}
              <span className="action">{r.action}</span> → <span className="effect">{r.effect}</span>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
