/**
 * The time slider over the shown run: one position per change of its timeline (in HLC order), the last one "now".
 * Dragging it, or the arrow keys on it (one change back or forward), shows the run, the fleet and the traffic chart's
 * cursor as they were at that change; "now" goes back to the live view.
 */
import type { PastView } from './useDashboard';

interface Props {
  readonly steps: number;
  readonly past: PastView | undefined;
  readonly travel: (index: number | undefined) => void;
}

/** A change as one short line: its type and what it names, and its wall-clock time. */
function describe(past: PastView): string {
  const s = past.step;
  const what = [s.type, typeof s.taskId === 'string' ? s.taskId : undefined, typeof s.state === 'string' ? s.state : '']
    .filter(Boolean)
    .join(' ');
  return `${new Date(s.wall).toISOString().slice(11, 23)} · ${what} · change ${past.index + 1} of ${past.count}`;
}

export function TimeSlider({ steps, past, travel }: Props) {
  if (steps < 2) return null;
  const value = past ? past.index : steps - 1;
  return (
    <div
      className="time-slider"
      data-testid="time-travel"
      data-past={past ? 'true' : 'false'}
      data-hlc={past?.cut?.hlc ?? ''}
    >
      <input
        type="range"
        min={0}
        max={steps - 1}
        step={1}
        value={value}
        aria-label="the run at a past change"
        aria-valuetext={past ? describe(past) : 'now'}
        data-testid="time-slider"
        onChange={(e) => travel(Number(e.target.value))}
      />
      <button type="button" disabled={!past} onClick={() => travel(undefined)} data-testid="time-now">
        now
      </button>
      <span className="small muted" data-testid="time-label" aria-live="polite">
        {past ? describe(past) : 'now (live)'}
      </span>
    </div>
  );
}
