/** The shown run: its state and reason, the operator's buttons, its task DAG, and the selected task. */
import { Actions } from './Actions';
import { clock, duration, pct, type OperatorCommand, type RunView } from './api';
import type { Pending } from './Confirm';
import { Dag } from './Dag';

interface Props {
  readonly run: RunView;
  readonly canOperate: boolean;
  readonly blockedOn: ReadonlyMap<string, string>;
  readonly send: (runId: string, command: OperatorCommand) => Promise<void>;
  readonly confirm: (pending: Pending) => void;
  /** The selected task (a deep link may have chosen it), and how to choose another. */
  readonly selected: string | undefined;
  readonly onSelect: (taskId: string) => void;
}

export function RunPanel({ run, canOperate, blockedOn, send, confirm, selected, onSelect }: Props) {
  const task = run.tasks.find((t) => t.id === selected);
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
    </div>
  );
}
