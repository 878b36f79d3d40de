/** The pre-flight table, the run history with critical paths, the event log, the health checks, the deliveries. */
import type { DeliveryList, EngineEvent, HistoryRun, PlanPreview, PreflightView } from './api';
import type { HealthEvent } from './useDashboard';
import { clock, duration, pct, rps } from './api';

export function Preflight({ preview }: { preview: PlanPreview }) {
  return (
    <PreflightTable
      preflight={preview.preflight}
      direction={preview.direction}
      datacenter={preview.datacenter}
      summary={`${preview.tasks.length} tasks, estimated ${duration(preview.estimateMs)}.`}
    />
  );
}

interface PreflightProps {
  readonly preflight: PreflightView;
  readonly direction: PlanPreview['direction'];
  readonly datacenter: string;
  readonly summary?: string;
  readonly testId?: string;
}

/** The pre-flight check of a plan, or of a proposed run. */
export function PreflightTable({
  preflight: pf,
  direction,
  datacenter,
  summary,
  testId = 'preflight',
}: PreflightProps) {
  // A drain asks whether the others absorb the datacenter's load; a restore whether the datacenter carries it again.
  const restore = direction === 'restore';
  const claim = restore
    ? `${datacenter} ${pf.ok ? 'can' : 'cannot'} take its load back`
    : `the other datacenters ${pf.ok ? 'can' : 'cannot'} absorb ${datacenter}'s load`;
  return (
    <div data-testid={testId}>
      <p className={pf.ok ? 'ok' : 'bad'}>
        Pre-flight {pf.ok ? 'passes' : 'FAILS'}: {claim} at {pct(pf.targetUtilization)} target utilisation.
        {summary ? ` ${summary}` : ''}
      </p>
      <table className="grid-table">
        <thead>
          <tr>
            <th>service</th>
            <th>load to move</th>
            <th>{restore ? 'capacity at target' : 'headroom'}</th>
            <th>{restore ? `${datacenter} after` : 'receivers after'}</th>
            <th>check</th>
          </tr>
        </thead>
        <tbody>
          {pf.services.map((s) => (
            <tr key={s.service} className={s.ok ? '' : 'row-bad'}>
              <td>{s.service}</td>
              <td className="num">{rps(s.load)}</td>
              <td className="num">{rps(s.headroom)}</td>
              <td className={`num ${(s.utilizationAfter ?? Infinity) > pf.targetUtilization ? 'bad' : ''}`}>
                {pct(s.utilizationAfter ?? undefined, 1)}
              </td>
              <td className={s.ok ? 'ok' : 'bad'}>{s.ok ? 'ok' : (s.reason ?? 'no room')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function History({ runs }: { runs: readonly HistoryRun[] }) {
  if (runs.length === 0) return <p className="muted">No finished runs yet.</p>;
  return (
    <table className="grid-table" data-testid="history">
      <thead>
        <tr>
          <th>run</th>
          <th>plan</th>
          <th>state</th>
          <th>took</th>
          <th>critical path</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => (
          <tr key={r.id}>
            <td className="mono">{r.id}</td>
            <td>{r.plan}</td>
            <td>
              <span className={`badge b-${r.state}`}>{r.state}</span>
            </td>
            <td className="num">{duration(r.durationMs)}</td>
            <td className="path">
              {r.criticalPath.length === 0
                ? '—'
                : r.criticalPath.map((t) => `${t.id} (${duration(t.durationMs)})`).join(' → ')}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function describe(e: EngineEvent): string {
  const reason = (r: string | undefined) => (r ? ` — ${r}` : '');
  const detail = (d: string | undefined) => (d ? ` (${d})` : '');
  switch (e.type) {
    case 'run.state':
      return `run ${e.state}${reason(e.reason)}`;
    case 'task.state':
      return `${e.taskId} ${e.state}${reason(e.reason)}`;
    case 'stage.start':
      return `${e.taskId} stage ${e.stage + 1} ${e.uses}`;
    case 'stage.end':
      return `${e.taskId} stage ${e.stage + 1} ${e.outcome ?? ''}${detail(e.detail)}`;
    case 'shift.step':
      return `${e.taskId} step ${e.step} ${e.decision}: ${pct(e.remaining, 1)} left in ${e.datacenter}`;
    case 'regulation':
      return e.phase === 'acted'
        ? `${e.taskId} #${e.action}: ${e.symptoms[0] ?? ''} → ${e.diagnosis} → ${e.resolver}: ${e.detail}`
        : `${e.taskId} #${e.action} ${e.resolver} ${e.outcome ?? ''}: ${e.detail}`;
    case 'health':
      return `${e.taskId} health ${e.check} ${e.ok === null ? 'unknown' : e.ok ? 'ok' : 'FAILING'}${detail(e.detail)}`;
    case 'condition.blocked':
      return `${e.taskId} waits on ${e.condition}`;
    case 'alert':
      return `${e.severity}: ${e.message}`;
    case 'operator':
      return `${e.actor} ${e.action}${e.target ? ` ${e.target}` : ''}${e.reason ? ` — "${e.reason}"` : ''}`;
    case 'controller':
      return (
        `controller ${e.controller} ${e.change}${e.to ? ` to ${e.to}` : ''}` +
        `${e.epoch !== undefined ? ` (epoch ${e.epoch})` : ''}${detail(e.detail)}`
      );
  }
}

/** The latest events; focusable, so that a keyboard can scroll it. */
export function EventLog({ events }: { events: readonly EngineEvent[] }) {
  return (
    <ol className="events" data-testid="events" tabIndex={0} aria-label="Events">
      {events
        .slice(-80)
        .reverse()
        .map((e, i) => (
          <li
            key={e.seq ?? `x${i}`}
            className={`ev ev-${e.type.replace('.', '-')}${e.type === 'health' && e.ok === false ? ' bad' : ''}`}
          >
            <span className="muted">{clock(e.time)}</span> {describe(e)}
          </li>
        ))}
    </ol>
  );
}

/** The latest result of each health check of the shown run. */
export function HealthList({ health, hasRun }: { health: readonly HealthEvent[]; hasRun: boolean }) {
  if (health.length === 0)
    return <p className="muted small">No health checks reported{hasRun ? ' yet' : ' (no run)'}.</p>;
  return (
    <ul className="health">
      {health.slice(-12).map((h) => (
        <li key={`${h.taskId}${h.check}`} className={h.ok === false ? 'bad' : h.ok === null ? 'warn' : 'ok'}>
          {h.ok === false ? '✖' : h.ok === null ? '?' : '✔'} {h.taskId} · {h.check}
          {h.detail ? ` — ${h.detail}` : ''}
        </li>
      ))}
    </ul>
  );
}

/** The notifiers' latest deliveries: what was told to whom, and what failed (with the last error). */
export function Deliveries({ list }: { list: DeliveryList | undefined }) {
  if (!list) return <p className="muted small">Loading…</p>;
  if (list.notifiers.length === 0)
    return <p className="muted small">No notifier sends (define a Notifier and set its URL variable).</p>;
  if (list.deliveries.length === 0)
    return <p className="muted small">Nothing sent yet to {list.notifiers.join(', ')}.</p>;
  return (
    <table className="grid-table" data-testid="deliveries">
      <tbody>
        {list.deliveries.map((d) => (
          <tr key={d.id} data-state={d.state} className={d.state === 'failed' ? 'row-bad' : ''}>
            <td className="muted" title="wall-clock time (UTC)">
              {clock(d.createdAt)}
            </td>
            <td>{d.notifier}</td>
            <td>{d.event}</td>
            <td className={d.state === 'delivered' ? 'ok' : d.state === 'failed' ? 'bad' : 'warn'}>
              {d.state}
              {d.attempts > 1 ? ` (${d.attempts} tries)` : ''}
            </td>
            <td className="small summary" title={d.error ? `${d.summary}\n${d.error}` : d.summary}>
              {d.state === 'delivered' ? d.summary : (d.error ?? d.summary)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
