/**
 * Runs that alerts proposed, at the top of the page: each with the alert that proposed it, when it lapses, its
 * pre-flight, and Approve… (with a reason) or Reject…. What may be done comes from the run's allowedActions.
 */
import { approvalDialog } from './Actions';
import { clock, type AlertView, type OperatorCommand, type RunView } from './api';
import type { Pending } from './Confirm';
import { PreflightTable } from './Panels';

interface Props {
  readonly proposals: readonly RunView[];
  readonly canOperate: boolean;
  readonly send: (runId: string, command: OperatorCommand) => Promise<void>;
  readonly confirm: (pending: Pending) => void;
}

function labelsOf(a: AlertView): string {
  return Object.entries(a.labels)
    .filter(([k]) => k !== 'alertname')
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

function Alert({ alert }: { alert: AlertView }) {
  const summary = alert.annotations.summary ?? alert.annotations.description;
  return (
    <li className={alert.status === 'resolved' ? 'muted' : 'bad'} data-testid="proposal-alert">
      <strong>{alert.labels.alertname ?? alert.fingerprint}</strong> {alert.status}
      {alert.resolvedAt !== undefined
        ? ` at ${clock(alert.resolvedAt)}`
        : ` since ${alert.startsAt.slice(11, 19)}`}{' '}
      <span className="muted">({labelsOf(alert)})</span>
      {summary ? ` — ${summary}` : ''}
      {alert.generatorURL ? (
        <>
          {' '}
          <a href={alert.generatorURL} target="_blank" rel="noreferrer">
            graph
          </a>
        </>
      ) : null}
    </li>
  );
}

export function Proposals({ proposals, canOperate, send, confirm }: Props) {
  if (proposals.length === 0) return null;
  return (
    <section className="proposals" data-testid="proposals">
      {proposals.map((run) => (
        <div className="panel proposal" key={run.id} data-testid="proposal" data-run={run.id}>
          <h2>
            Proposed: {run.plan}{' '}
            <span className="badge b-proposed">
              {run.direction} {run.datacenter}
            </span>
            <span className="muted small">
              {' '}
              run <span className="mono">{run.id}</span> · trigger {run.proposal?.trigger ?? '—'}
              {run.proposal?.expiresAt !== undefined ? ` · lapses at ${clock(run.proposal.expiresAt)}` : ''}
            </span>
          </h2>
          <ul className="alerts">
            {(run.proposal?.alerts ?? []).map((a) => (
              <Alert key={a.fingerprint} alert={a} />
            ))}
          </ul>
          {canOperate && (
            <div className="row">
              {run.allowedActions.includes('approve') && (
                <button
                  className="primary"
                  data-testid="approve-run"
                  onClick={() => confirm(approvalDialog(run, undefined, (c) => send(run.id, c)))}
                >
                  Approve…
                </button>
              )}
              {run.allowedActions.includes('abort') && (
                <button
                  data-testid="reject-run"
                  onClick={() =>
                    confirm({
                      title: `Reject the proposal ${run.plan}`,
                      detail: 'The run ends aborted without doing anything; the alert stays recorded on it.',
                      needsReason: true,
                      danger: true,
                      run: (reason) => send(run.id, { action: 'abort', reason }),
                    })
                  }
                >
                  Reject…
                </button>
              )}
            </div>
          )}
          {run.preflight && (
            <PreflightTable
              preflight={run.preflight}
              direction={run.direction}
              datacenter={run.datacenter}
              summary={`${run.tasks.length} tasks.`}
              testId="proposal-preflight"
            />
          )}
        </div>
      ))}
    </section>
  );
}
