/**
 * The operator's buttons for a run and for its selected task. Which buttons there are comes from the server's
 * `allowedActions` only (computed by src/model/states.ts): the dashboard never decides from a state what may be done.
 * This file only says how each action looks and which command it sends.
 */
import type { Pending } from './Confirm';
import type { OperatorCommand, ReasonRequired, RunAction, RunView, TaskAction, TaskView } from './api';

interface Look<A extends RunAction | TaskAction> {
  readonly label: string;
  readonly detail: string;
  /** The dialog asks for a reason wherever the API requires one (it may ask where the API does not). */
  readonly needsReason: ReasonRequired<A> extends true ? true : boolean;
  readonly tone?: 'primary' | 'danger';
}

const RUN: { readonly [A in RunAction]: Look<A> } = {
  approve: {
    label: 'Approve…',
    detail: 'Starts the proposed run, if its pre-flight still passes.',
    needsReason: true,
    tone: 'primary',
  },
  pause: { label: 'Pause', detail: 'No new step or task starts; traffic stays where it is.', needsReason: false },
  resume: {
    label: 'Resume',
    detail: 'Tasks and shifts carry on from where they stopped.',
    needsReason: false,
    tone: 'primary',
  },
  abort: {
    label: 'Abort…',
    detail: 'Stops the run for good, leaving traffic where it is. Restore with the restore plan.',
    needsReason: true,
    tone: 'danger',
  },
};

const TASK: { readonly [A in TaskAction]: Look<A> } = {
  retry: { label: 'Retry', detail: 'Runs the task again from its current stage.', needsReason: false },
  approve: { label: 'Approve…', detail: 'Lets the task go on past its approval stage.', needsReason: true },
  skip: {
    label: 'Skip…',
    detail: 'Marks the task done without doing it; its dependents may start.',
    needsReason: true,
    tone: 'danger',
  },
  'override-condition': {
    label: 'Override…',
    detail: 'Lets the task proceed although its condition does not hold.',
    needsReason: true,
    tone: 'danger',
  },
  'override-dependency': {
    label: 'Override dependency…',
    detail: 'Lets the task start without waiting for that dependency.',
    needsReason: true,
    tone: 'danger',
  },
};

/** The command a run action sends. */
function runCommand(action: RunAction, reason: string): OperatorCommand {
  const withReason = reason ? { reason } : {};
  switch (action) {
    case 'approve':
      return { action, reason };
    case 'pause':
    case 'resume':
    case 'abort':
      return { action, ...withReason };
  }
}

/** Who has approved a task so far, and how many more it needs, for its dialog. */
function approvalsSoFar(task: TaskView): string {
  const need = task.approvers ?? 1;
  const given = task.approvals ?? [];
  if (need <= 1 && given.length === 0) return '';
  const who = given.map((a) => a.actor).join(', ');
  return ` It needs ${need} different operators${who ? `; approved so far by ${who}` : ''}.`;
}

/**
 * The approval dialog of a proposed run (no task) or of a task's approval stage: what a deep link opens, and what
 * the Approve buttons open.
 */
export function approvalDialog(
  run: RunView,
  task: TaskView | undefined,
  send: (command: OperatorCommand) => Promise<void>,
): Pending {
  if (!task) {
    const alerts = [...new Set((run.proposal?.alerts ?? []).map((a) => a.labels.alertname ?? a.fingerprint))];
    const pf = run.preflight;
    return {
      title: `Approve ${run.plan}: ${run.direction} ${run.datacenter}`,
      detail:
        `${RUN.approve.detail} Proposed by trigger ${run.proposal?.trigger ?? '?'}` +
        `${alerts.length ? ` (${alerts.join(', ')} firing)` : ''}; ${run.tasks.length} tasks` +
        `${pf ? `; pre-flight ${pf.ok ? 'passes' : 'FAILS'}` : ''}.`,
      needsReason: RUN.approve.needsReason,
      run: (reason) => send(runCommand('approve', reason)),
    };
  }
  return {
    title: `Approve ${task.id}`,
    detail: `${TASK.approve.detail}${approvalsSoFar(task)}`,
    needsReason: TASK.approve.needsReason,
    run: (reason) => send({ action: 'approve', task: task.id, reason }),
  };
}

/** The command a task action sends, or undefined when the dashboard cannot name what it acts on. */
function taskCommand(
  action: TaskAction,
  task: TaskView,
  reason: string,
  blockedOn: string | undefined,
): OperatorCommand | undefined {
  const withReason = reason ? { reason } : {};
  switch (action) {
    case 'retry':
      return { action, task: task.id, ...withReason };
    case 'approve':
      return { action, task: task.id, reason };
    case 'skip':
      return { action, task: task.id, reason };
    case 'override-condition':
      // The condition it waits on, as the event stream named it.
      return blockedOn === undefined ? undefined : { action, task: task.id, condition: blockedOn, reason };
    case 'override-dependency':
      // The view does not say which parent holds the task back; the CLI (`maelstrom override --dependency`) does it.
      return undefined;
  }
}

interface Props {
  readonly run: RunView;
  readonly task?: TaskView;
  /** The condition the selected task waits on, from the event stream. */
  readonly blockedOn?: string;
  readonly send: (command: OperatorCommand) => Promise<void>;
  readonly confirm: (pending: Pending) => void;
}

export function Actions({ run, task, blockedOn, send, confirm }: Props) {
  const taskActions = (task?.allowedActions ?? []).filter(
    (a) => task !== undefined && taskCommand(a, task, '', blockedOn) !== undefined,
  );
  if (run.allowedActions.length === 0 && taskActions.length === 0) return null;
  return (
    <div className="row">
      {run.allowedActions.map((action) => {
        const look = RUN[action];
        return (
          <button
            key={action}
            className={look.tone}
            data-testid={action}
            onClick={() =>
              confirm(
                action === 'approve'
                  ? approvalDialog(run, undefined, send)
                  : {
                      title: `${look.label.replace('…', '')} the run`,
                      detail: look.detail,
                      needsReason: look.needsReason,
                      danger: look.tone === 'danger',
                      run: (reason) => send(runCommand(action, reason)),
                    },
              )
            }
          >
            {look.label}
          </button>
        );
      })}
      {task && taskActions.length > 0 && <span className="muted">task {task.id}:</span>}
      {task &&
        taskActions.map((action) => {
          const look = TASK[action];
          const what = action === 'override-condition' ? (blockedOn ?? '') : task.id;
          return (
            <button
              key={action}
              className={look.tone === 'danger' ? undefined : look.tone}
              data-testid={action === 'override-condition' ? 'override' : action}
              onClick={() =>
                confirm(
                  action === 'approve'
                    ? approvalDialog(run, task, send)
                    : {
                        title: `${look.label.replace('…', '')} ${what}`,
                        detail: look.detail,
                        needsReason: look.needsReason,
                        danger: look.tone === 'danger',
                        run: async (reason) => {
                          const command = taskCommand(action, task, reason, blockedOn);
                          if (command) await send(command);
                        },
                      },
                )
              }
            >
              {look.label}
            </button>
          );
        })}
    </div>
  );
}
