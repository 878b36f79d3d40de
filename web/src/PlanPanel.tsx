/** Before a run: choose a plan, see its pre-flight check and planned tasks, start it. */
import { duration } from './api';
import type { Pending } from './Confirm';
import { Dag } from './Dag';
import { Preflight } from './Panels';
import type { DashboardData } from './useDashboard';

interface Props {
  readonly data: DashboardData;
  readonly confirm: (pending: Pending) => void;
}

export function PlanPanel({ data, confirm }: Props) {
  const { plans, plan, preview, canOperate, nextRestore, history } = data;
  const critical = new Set(preview?.criticalPath ?? []);
  return (
    <div className="panel">
      <h2>Plan</h2>
      <div className="row">
        <select value={plan} onChange={(e) => data.choosePlan(e.target.value)} aria-label="Plan" data-testid="plan">
          {plans.map((p) => (
            <option key={p.name} value={p.name}>
              {p.name} — {p.direction} {p.datacenter}
            </option>
          ))}
        </select>
        {canOperate && (
          <button
            className="primary"
            data-testid="start"
            disabled={!preview}
            onClick={() =>
              confirm({
                title: `Start ${plan}`,
                detail: preview
                  ? `${preview.direction} ${preview.datacenter}: ${preview.tasks.length} tasks, ` +
                    `estimated ${duration(preview.estimateMs)}. Pre-flight ${preview.preflight.ok ? 'passes' : 'fails'}.`
                  : '',
                needsReason: false,
                run: () => data.start(plan),
              })
            }
          >
            Start…
          </button>
        )}
      </div>
      {nextRestore && nextRestore.name !== plan && (
        <p className="hint" data-testid="next">
          {nextRestore.datacenter} is drained (run {history[0]?.id}).{' '}
          <button onClick={() => data.choosePlan(nextRestore.name)}>Prepare {nextRestore.name}</button>
        </p>
      )}
      {preview && <Preflight preview={preview} />}
      {preview && (
        <>
          <h3>Planned tasks</h3>
          <Dag tasks={preview.tasks} critical={critical} />
        </>
      )}
    </div>
  );
}
