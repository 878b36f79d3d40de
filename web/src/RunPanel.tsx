/** The shown run: its state and reason, the operator's buttons, its task DAG, and the selected task. */
import { Actions } from './Actions';
import { clock, duration, pct, type OperatorCommand, type RunView } from './api';
import type { Pending } from './Confirm';
import { Dag } from './Dag';
import { regulationOf } from './regulation';
import type { EngineEvent } from './api';

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
}

export function RunPanel({ run, canOperate, blockedOn, send, confirm, selected, onSelect, events = [] }: Props) {
  const task = run.tasks.find((t) => t.id === selected);
  const regulation = task ? regulationOf(events, task.id) : [];
  const critical = new Set(run.criticalPath ?? []);
  return (
    <div className="panel" data-testid="run">
      <h2>
        Run {run.plan} <span className={`badge b-${run.state}`}>{run.state}</span>
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
      <Dag
        tasks={run.tasks}
        critical={critical}
        selected={selected}
        onSelect={onSelect}
        held={run.state === 'paused'}
      />
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
