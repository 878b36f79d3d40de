/** A small SVG line chart: one line per datacenter, shared time axis, no chart library. */
import type { SeriesView } from './api';
import { rps } from './api';

export const DC_COLOURS = ['#e5a50a', '#3fa7d6', '#7bc96f', '#c678dd', '#e06c75', '#56b6c2'];

export function TrafficChart({
  series,
  names,
  width = 520,
  height = 150,
  cursor,
}: {
  series: Readonly<Record<string, SeriesView | undefined>>;
  names: string[];
  width?: number;
  height?: number;
  /** The time slider's instant (the series' clock): a vertical line there. */
  cursor?: number | undefined;
}) {
  const pad = { l: 40, r: 8, t: 8, b: 18 };
  const all = names.flatMap((n) => series[n]?.times ?? []);
  const t0 = all.length ? Math.min(...all) : 0;
  const t1 = all.length ? Math.max(...all) : 1;
  const vmax = Math.max(1, ...names.flatMap((n) => series[n]?.values ?? []));
  const x = (t: number) => pad.l + ((t - t0) / Math.max(1, t1 - t0)) * (width - pad.l - pad.r);
  const y = (v: number) => pad.t + (1 - v / vmax) * (height - pad.t - pad.b);
  const ticks = [0, 0.5, 1].map((f) => f * vmax);
  return (
    <svg width={width} height={height} className="chart" role="img" aria-label="traffic per datacenter">
      {ticks.map((v) => (
        <g key={v}>
          <line x1={pad.l} x2={width - pad.r} y1={y(v)} y2={y(v)} className="grid" />
          <text x={pad.l - 4} y={y(v) + 3} textAnchor="end" className="axis">
            {rps(v)}
          </text>
        </g>
      ))}
      {all.length > 0 && (
        <text x={pad.l} y={height - 4} className="axis">
          {new Date(t0).toISOString().slice(11, 16)}
        </text>
      )}
      {all.length > 0 && (
        <text x={width - pad.r} y={height - 4} textAnchor="end" className="axis">
          {new Date(t1).toISOString().slice(11, 16)}
        </text>
      )}
      {cursor !== undefined && all.length > 0 && cursor >= t0 && cursor <= t1 && (
        <rect
          x={x(cursor) - 1}
          width={2}
          y={pad.t}
          height={height - pad.t - pad.b}
          className="cursor"
          data-testid="chart-cursor"
          data-time={cursor}
        />
      )}
      {names.map((n, i) => {
        const s = series[n];
        if (!s || s.times.length === 0) return null;
        return (
          <polyline
            key={n}
            fill="none"
            stroke={DC_COLOURS[i % DC_COLOURS.length]}
            strokeWidth="1.5"
            data-testid={`line-${n}`}
            points={s.times.map((t, k) => `${x(t).toFixed(1)},${y(s.values[k] ?? 0).toFixed(1)}`).join(' ')}
          />
        );
      })}
    </svg>
  );
}
