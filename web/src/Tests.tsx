/**
 * The drain tests of the schedules: per datacenter the last test (when, outcome, drain and restore time) and the next
 * one due, a sparkline of the drain time per plan, the last skips with their reasons, and the tests' kill switch
 * (Halt tests / Resume tests, each confirmed).
 */
import type { TestView, TestsView } from './api';
import { duration } from './api';
import type { Pending } from './Confirm';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Day and time (UTC) of a test, short and the same in every locale: `Tue 15 Dec 10:00`. */
function when(t: number | undefined): string {
  if (t === undefined) return '—';
  const d = new Date(t);
  const time = d.toISOString().slice(11, 16);
  return `${DAYS[d.getUTCDay()] ?? ''} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()] ?? ''} ${time}`;
}

function outcomeOf(t: TestView): string {
  return t.phase === 'done' ? (t.outcome ?? 'done') : t.phase;
}

const BADGE: Record<string, string> = {
  succeeded: 'succeeded',
  aborted: 'aborted',
  halted: 'halted',
  failed: 'failed',
  'handed-over': 'paused',
  draining: 'running',
  holding: 'running',
  restoring: 'running',
};

/** The drain time of a plan's last tests, oldest first: a line, its last point marked. */
export function Sparkline({
  values,
  width = 120,
  height = 24,
}: {
  values: readonly number[];
  width?: number;
  height?: number;
}) {
  if (values.length === 0) return null;
  const max = Math.max(...values);
  const min = Math.min(...values);
  const x = (i: number) => (values.length === 1 ? width / 2 : 2 + (i / (values.length - 1)) * (width - 4));
  const y = (v: number) => (max === min ? height / 2 : 2 + (1 - (v - min) / (max - min)) * (height - 4));
  const last = values.length - 1;
  return (
    <svg width={width} height={height} className="sparkline" role="img" aria-label="drain time of the last tests">
      <polyline
        fill="none"
        strokeWidth="1.5"
        points={values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}
      />
      <circle cx={x(last)} cy={y(values[last] ?? 0)} r="2" />
    </svg>
  );
}

interface Props {
  readonly tests: TestsView;
  readonly canOperate: boolean;
  readonly confirm: (pending: Pending) => void;
  readonly halt: (reason: string) => Promise<void>;
  readonly resume: (reason: string) => Promise<void>;
}

export function Tests({ tests, canOperate, confirm, halt, resume }: Props) {
  const halted = tests.halt?.halted === true;
  return (
    <div data-testid="tests" id="tests">
      {halted && (
        <p className="bad" data-testid="tests-halted">
          Tests halted since {when(tests.halt?.since)} by {tests.halt?.actor}
          {tests.halt?.reason ? `: ${tests.halt.reason}` : ''}. No test starts until they are resumed.
        </p>
      )}
      <p className="muted small">
        {tests.schedules.map((s) => `${s.name}: ${s.cadence} (${s.timeZone}), ${s.pick}`).join(' · ') ||
          'No schedules.'}
      </p>
      <table className="grid-table">
        <thead>
          <tr>
            <th>datacenter</th>
            <th>last test</th>
            <th>outcome</th>
            <th>drain</th>
            <th>restore</th>
            <th>next due</th>
          </tr>
        </thead>
        <tbody>
          {tests.datacenters.map((d) => (
            <tr key={d.datacenter} data-testid={`tests-row-${d.datacenter}`}>
              <td>{d.datacenter}</td>
              <td>{when(d.last?.startedAt)}</td>
              <td title={d.last?.reason}>
                {d.last ? (
                  <span className={`badge b-${BADGE[outcomeOf(d.last)] ?? 'pending'}`}>{outcomeOf(d.last)}</span>
                ) : (
                  '—'
                )}
              </td>
              <td className="num">
                {duration(d.last?.drainSeconds !== undefined ? d.last.drainSeconds * 1000 : undefined)}
              </td>
              <td className="num">
                {duration(d.last?.restoreSeconds !== undefined ? d.last.restoreSeconds * 1000 : undefined)}
              </td>
              <td data-testid={`tests-next-${d.datacenter}`}>{halted ? 'halted' : when(d.next?.at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {tests.trends.length > 0 && (
        <div className="trends">
          {tests.trends.map((t) => (
            <span key={t.plan} className="trend" data-testid={`trend-${t.plan}`}>
              {t.plan} <Sparkline values={t.points.map((p) => p.drainSeconds)} />{' '}
              {duration((t.points.at(-1)?.drainSeconds ?? 0) * 1000)}
            </span>
          ))}
        </div>
      )}
      {tests.skips.length > 0 && (
        <ul className="skips small">
          {tests.skips.slice(0, 5).map((s) => (
            <li key={`${s.schedule}${s.at}`}>
              <span className="muted">{when(s.at)}</span> skipped{s.datacenter ? ` ${s.datacenter}` : ''}: {s.reason}
            </li>
          ))}
        </ul>
      )}
      {canOperate &&
        (halted ? (
          <button
            data-testid="resume-tests"
            onClick={() =>
              confirm({
                title: 'Resume the drain tests',
                detail: 'The schedules start tests again when they fall due.',
                needsReason: false,
                run: resume,
              })
            }
          >
            Resume tests
          </button>
        ) : (
          <button
            className="danger"
            data-testid="halt-tests"
            onClick={() =>
              confirm({
                title: 'Halt the drain tests',
                detail:
                  'No test starts until they are resumed; every running test is aborted and its datacenter restored.',
                needsReason: true,
                danger: true,
                run: halt,
              })
            }
          >
            Halt tests
          </button>
        ))}
    </div>
  );
}
