/** The top bar: the event stream's state, the fleet's time, the shown run at a glance, the caller, Halt all. */
import { isDoneTask } from '../../src/model/states';
import { clock } from './api';
import type { Pending } from './Confirm';
import { RoleBadge } from './RoleBadge';
import type { DashboardData } from './useDashboard';

interface Props {
  readonly data: DashboardData;
  readonly confirm: (pending: Pending) => void;
  readonly onLogout: () => void;
}

export function Header({ data, confirm, onLogout }: Props) {
  const { live, fleet, run, me, canOperate } = data;
  const done = run?.tasks.filter((t) => isDoneTask(t.state)).length ?? 0;
  return (
    <header>
      <h1 className="brand">MAELSTROM</h1>
      <RoleBadge />
      <span className={`live ${live ? 'on' : 'off'}`} title="event stream">
        {live ? '● live' : '○ reconnecting'}
      </span>
      {fleet && (
        <span className="muted">
          fleet {fleet.fleet} · backend time {clock(fleet.time)}
        </span>
      )}
      {run && (
        <span>
          run <span className="mono">{run.id}</span> {run.plan}{' '}
          <span className={`badge b-${run.state}`} data-testid="run-state">
            {run.state}
          </span>{' '}
          {done}/{run.tasks.length} tasks
        </span>
      )}
      <span className="spacer" />
      {me && (
        <span className="muted">
          {me.name} · {me.role}
        </span>
      )}
      {canOperate && (
        <button
          className="danger"
          data-testid="halt"
          onClick={() =>
            confirm({
              title: 'Halt every active run',
              detail: 'Stops every active run at once, leaving traffic where it is.',
              needsReason: true,
              danger: true,
              run: (reason) => data.halt(reason),
            })
          }
        >
          Halt all
        </button>
      )}
      <button onClick={onLogout}>Sign out</button>
    </header>
  );
}
