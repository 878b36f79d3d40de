/**
 * Small SVG chart primitives for the HTML report: a line chart and a Gantt chart, rendered to strings so that the
 * report is one file with no scripts or styles fetched from anywhere.
 */
import { formatDuration } from '../model/duration.js';

export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

type Attrs = Readonly<Record<string, string | number | undefined>>;

/**
 * One element: attributes in the order given (those undefined left out) and escaped; `body` is markup, already
 * escaped. Without a body the element closes itself.
 */
function el(name: string, attrs: Attrs, body?: string): string {
  const a = Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${esc(String(v))}"`)
    .join('');
  return body === undefined ? `<${name}${a}/>` : `<${name}${a}>${body}</${name}>`;
}

/** The tooltip of an element. */
const tip = (text: string): string => el('title', {}, esc(text));

export const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#65a30d', '#db2777'];
export const PACER_COLOR: Readonly<Record<string, string>> = {
  'self-regulating': '#9333ea',
  'closed-loop': '#2563eb',
  fixed: '#ea580c',
  oracle: '#16a34a',
  plan: '#2563eb',
};

export interface Line {
  readonly name: string;
  readonly color: string;
  readonly xs: readonly number[];
  readonly ys: readonly number[];
  readonly dash?: boolean;
}

export interface LineChart {
  readonly title: string;
  readonly lines: readonly Line[];
  readonly xMax: number;
  readonly yMax: number;
  readonly yFormat: (y: number) => string;
  readonly rules?: readonly { readonly y: number; readonly label: string; readonly color: string }[];
  readonly marks?: readonly { readonly x: number; readonly label: string }[];
  readonly width?: number;
  readonly height?: number;
}

/** Minutes on the x axis: simulated seconds from the scenario's start. */
function minuteTicks(xMax: number): number[] {
  const minutes = xMax / 60;
  const step = [1, 2, 5, 10, 15, 30, 60, 120, 240].find((s) => minutes / s <= 10) ?? 480;
  const out: number[] = [];
  for (let m = 0; m <= minutes; m += step) out.push(m * 60);
  return out;
}

export function lineChart(c: LineChart): string {
  const W = c.width ?? 900;
  const H = c.height ?? 260;
  const L = 56;
  const R = 120;
  const T = 28;
  const B = 30;
  const x = (v: number): number => L + (v / Math.max(1, c.xMax)) * (W - L - R);
  const y = (v: number): number => T + (1 - Math.min(v, c.yMax) / c.yMax) * (H - T - B);
  const parts: string[] = [
    `<svg viewBox="0 0 ${W} ${H}" class="chart" role="img" aria-label="${esc(c.title)}">`,
    `<text x="${L}" y="18" class="title">${esc(c.title)}</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (c.yMax * i) / 4;
    parts.push(
      el('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'grid' }),
      el('text', { x: L - 6, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' }, esc(c.yFormat(v))),
    );
  }
  for (const t of minuteTicks(c.xMax))
    parts.push(el('text', { x: x(t), y: H - 10, class: 'axis', 'text-anchor': 'middle' }, `${Math.round(t / 60)}m`));
  for (const m of c.marks ?? [])
    parts.push(el('line', { x1: x(m.x), x2: x(m.x), y1: T, y2: H - B, class: 'mark' }, tip(m.label)));
  for (const r of c.rules ?? [])
    parts.push(
      el('line', { x1: L, x2: W - R, y1: y(r.y), y2: y(r.y), stroke: r.color, 'stroke-dasharray': '6 4' }),
      el('text', { x: W - R + 4, y: y(r.y) + 4, class: 'axis', fill: r.color }, esc(r.label)),
    );
  c.lines.forEach((l, i) => {
    const pts = l.xs.map((xv, j) => `${x(xv).toFixed(1)},${y(l.ys[j] ?? 0).toFixed(1)}`).join(' ');
    const stroke = { stroke: l.color, 'stroke-width': 2, 'stroke-dasharray': l.dash ? '4 3' : undefined };
    parts.push(el('polyline', { points: pts, fill: 'none', ...stroke }, tip(l.name)));
    // The legend: a swatch and the line's name, one row per line, right of the plot.
    parts.push(
      el('rect', { x: W - R + 6, y: T + 14 * i, width: 10, height: 3, fill: l.color }),
      el('text', { x: W - R + 20, y: T + 14 * i + 5, class: 'axis' }, esc(l.name)),
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

export interface GanttBar {
  readonly id: string;
  readonly start: number;
  readonly end: number;
  readonly critical: boolean;
  readonly state: string;
  readonly slack: number | null;
  readonly ticks: readonly { readonly at: number; readonly label: string }[];
  readonly detail: string;
}

export function gantt(title: string, bars: readonly GanttBar[], xMin: number, xMax: number): string {
  const W = 900;
  const L = 190;
  const R = 20;
  const row = 18;
  const T = 28;
  const H = T + bars.length * row + 26;
  const span = Math.max(1, xMax - xMin);
  const x = (v: number): number => L + ((v - xMin) / span) * (W - L - R);
  const parts = [
    `<svg viewBox="0 0 ${W} ${H}" class="chart gantt" role="img" aria-label="${esc(title)}">`,
    `<text x="8" y="18" class="title">${esc(title)}</text>`,
  ];
  const step = [60, 120, 300, 600, 900, 1800, 3600].find((s) => span / s <= 10) ?? 7200;
  for (let t = Math.ceil(xMin / step) * step; t <= xMax; t += step) {
    parts.push(
      el('line', { x1: x(t), x2: x(t), y1: T - 4, y2: H - 22, class: 'grid' }),
      el('text', { x: x(t), y: H - 8, class: 'axis', 'text-anchor': 'middle' }, `${Math.round(t / 60)}m`),
    );
  }
  bars.forEach((b, i) => {
    const yy = T + i * row;
    const cls = b.critical ? 'bar critical' : b.state === 'succeeded' ? 'bar' : 'bar bad';
    const label = b.critical ? 'axis crit' : 'axis';
    parts.push(el('text', { x: L - 6, y: yy + 12, class: label, 'text-anchor': 'end' }, esc(b.id)));
    if (b.slack !== null && b.slack > 0) {
      const slackWidth = Math.max(0, x(b.end + b.slack) - x(b.end));
      const slack = tip(`slack ${formatDuration(b.slack * 1000)}`);
      parts.push(el('rect', { x: x(b.end), y: yy + 6, width: slackWidth, height: 4, class: 'slack' }, slack));
    }
    const width = Math.max(2, x(b.end) - x(b.start));
    parts.push(el('rect', { x: x(b.start), y: yy + 2, width, height: row - 5, class: cls }, tip(b.detail)));
    for (const t of b.ticks)
      parts.push(el('line', { x1: x(t.at), x2: x(t.at), y1: yy + 2, y2: yy + row - 3, class: 'tick' }, tip(t.label)));
  });
  parts.push('</svg>');
  return parts.join('');
}
