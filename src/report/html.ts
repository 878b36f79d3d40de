/**
 * The HTML report: one self-contained page (inline SVG and CSS, no external assets) that answers at a glance how
 * fast and how safe each pacer was, and what bounded the drain.
 */
import { CAUSE_TEXT, failuresByCause } from './failures.js';
import type { Report } from './report.js';
import { PACER_COLOR, PALETTE, esc, gantt, lineChart, type GanttBar } from './svg.js';

const pct = (v: number): string => `${Math.round(v * 100)}%`;
const mins = (s: number | null): string => (s === null ? '—' : `${(s / 60).toFixed(1)} min`);

function summaryTable(reports: readonly Report[]): string {
  const head =
    '<tr><th>pacer</th><th>outcome</th><th>drain</th><th>user-facing out</th><th>overload</th><th>peak utilisation</th><th>failed requests</th><th>cross-dc RPC</th><th>critical path</th></tr>';
  const rows = reports.map((r) => {
    const p = r.plans.find((x) => x.direction === 'drain') ?? r.plans[0];
    const util = r.maxUtilization > 0.95 ? 'bad' : 'good';
    return (
      `<tr><td><span class="dot" style="background:${PACER_COLOR[r.pacing] ?? '#555'}"></span>${esc(r.pacing)}</td><td class="${r.outcome === 'succeeded' ? 'good' : 'bad'}">${esc(r.outcome)}</td>` +
      `<td><b>${mins(p?.drainSeconds ?? null)}</b></td><td>${mins(p?.userFacingDrainSeconds ?? null)}</td>` +
      `<td class="${r.overloadSeconds > 0 ? 'bad' : 'good'}">${Math.round(r.overloadSeconds)} s</td><td class="${util}">${pct(r.maxUtilization)}</td>` +
      `<td class="${r.failedRequests > 0 ? 'bad' : 'good'}">${r.failedRequests.toLocaleString('en')}</td><td>${Math.round(r.crossDatacenterRpcSeconds)} s</td>` +
      `<td>${esc(r.criticalPath.slice(0, 3).join(' → '))}${r.criticalPath.length > 3 ? ' …' : ''}</td></tr>`
    );
  });
  return `<table class="summary">${head}${rows.join('')}</table>`;
}

function headline(reports: readonly Report[]): string {
  const drain = (r: Report): number | null =>
    (r.plans.find((x) => x.direction === 'drain') ?? r.plans[0])?.drainSeconds ?? null;
  const main = reports[0]!;
  const lines: string[] = [];
  for (const other of reports.slice(1)) {
    const a = drain(main);
    const b = drain(other);
    if (a === null || b === null || a <= 0 || b <= 0) continue;
    const how = b >= a ? `${(b / a).toFixed(1)}× as fast as` : `${(a / b).toFixed(1)}× as long as`;
    lines.push(
      `${esc(main.pacing)} drained in ${mins(a)}: ${how} ${esc(other.pacing)} (${mins(b)}, ${Math.round(other.overloadSeconds)} s of overload, peak ${pct(other.maxUtilization)})`,
    );
  }
  lines.push(
    `${esc(main.pacing)}: ${Math.round(main.overloadSeconds)} s of overload, peak utilisation ${pct(main.maxUtilization)}, ${main.failedRequests.toLocaleString('en')} failed requests`,
  );
  return `<ul class="headline">${lines.map((l) => `<li>${l}</li>`).join('')}</ul>`;
}

function charts(reports: readonly Report[]): string {
  const main = reports[0]!;
  const xMax = Math.max(...reports.map((r) => r.series.times.at(-1) ?? 0));
  const dc = main.drainedDatacenter;
  const out: string[] = [];
  const planMarks = main.plans
    .filter((p) => p.startedAt !== null)
    .map((p) => ({ x: p.startedAt!, label: `${p.name} starts` }));
  if (dc) {
    out.push(
      lineChart({
        title: `Share of all traffic in ${dc}${reports.length > 1 ? ', by pacer' : ''}`,
        xMax,
        yMax: 1,
        yFormat: pct,
        marks: planMarks,
        lines: reports.map((r) => ({
          name: r.pacing,
          color: PACER_COLOR[r.pacing] ?? '#555',
          xs: r.series.times,
          ys: r.series.trafficShare[dc] ?? [],
        })),
      }),
    );
  }
  const dcs = Object.keys(main.series.trafficShare);
  out.push(
    lineChart({
      title: `Traffic share per datacenter (${main.pacing})`,
      xMax,
      yMax: 1,
      yFormat: pct,
      marks: planMarks,
      lines: dcs.map((d, i) => ({
        name: d,
        color: PALETTE[i % PALETTE.length]!,
        xs: main.series.times,
        ys: main.series.trafficShare[d] ?? [],
      })),
    }),
  );
  const target = main.plans.find((p) => p.targetUtilization !== null)?.targetUtilization ?? 0.85;
  const receiverMax = (r: Report): number[] =>
    r.series.times.map((_, i) => Math.max(0, ...r.receivers.map((d) => r.series.utilization[d]?.[i] ?? 0)));
  const yMax = Math.max(1.1, ...reports.flatMap((r) => receiverMax(r)));
  out.push(
    lineChart({
      title: `Busiest receiver's utilisation against the target${reports.length > 1 ? ', by pacer' : ''}`,
      xMax,
      yMax: Math.min(yMax, 2),
      yFormat: pct,
      marks: planMarks,
      rules: [
        { y: target, label: `target ${pct(target)}`, color: '#16a34a' },
        { y: 1, label: '100%', color: '#dc2626' },
      ],
      lines: reports.map((r) => ({
        name: r.pacing,
        color: PACER_COLOR[r.pacing] ?? '#555',
        xs: r.series.times,
        ys: receiverMax(r),
      })),
    }),
  );
  out.push(
    lineChart({
      title: `Utilisation per receiver (${main.pacing})`,
      xMax,
      yMax: Math.min(yMax, 2),
      yFormat: pct,
      rules: [{ y: target, label: `target ${pct(target)}`, color: '#16a34a' }],
      lines: main.receivers.map((d, i) => ({
        name: d,
        color: PALETTE[(i + 1) % PALETTE.length]!,
        xs: main.series.times,
        ys: main.series.utilization[d] ?? [],
      })),
    }),
  );
  return out.join('\n');
}

function gantts(report: Report): string {
  const out: string[] = [];
  for (const plan of report.plans) {
    const tasks = report.tasks.filter((t) => t.plan === plan.name && t.startedAt !== null);
    if (tasks.length === 0) continue;
    const critical = new Set(plan.criticalPath);
    const end = (t: (typeof tasks)[number]): number => t.finishedAt ?? report.durationSeconds;
    const bars: GanttBar[] = [...tasks]
      .sort((a, b) => a.startedAt! - b.startedAt! || a.id.localeCompare(b.id))
      .map((t) => ({
        id: t.id,
        start: t.startedAt!,
        end: end(t),
        critical: critical.has(t.id),
        state: t.state,
        slack: t.slack,
        ticks: t.steps.map((s) => ({
          at: s.at,
          label: `${s.layer} step ${s.step}: ${s.decision}, ${pct(s.remaining)} left${s.reason ? ` — ${s.reason}` : ''}`,
        })),
        detail: `${t.id} (${t.state}): ${Math.round(end(t) - t.startedAt!)} s${t.slack !== null ? `, slack ${Math.round(t.slack)} s` : ''}; stages: ${t.stages.map((s) => `${s.uses} ${s.finishedAt !== null ? Math.round(s.finishedAt - s.startedAt) : '?'} s`).join(', ')}`,
      }));
    const xMin = Math.min(...bars.map((b) => b.start));
    const xMax = Math.max(...bars.map((b) => b.end + (b.slack ?? 0)));
    out.push(`<h3>${esc(plan.name)} — ${esc(plan.outcome)}, ${mins(plan.drainSeconds)}</h3>`);
    out.push(
      gantt(
        `Tasks of ${plan.name}: critical path in red, slack as a thin line, shift steps as ticks`,
        bars,
        xMin,
        xMax,
      ),
    );
    if (plan.criticalStages.length)
      out.push(
        `<p class="note">Bounded by: ${plan.criticalStages.map((s) => `${esc(s.task)} (${esc(s.uses)}, ${Math.round(s.seconds)} s)`).join(' → ')}</p>`,
      );
  }
  return out.join('\n');
}

function whatIfs(report: Report): string {
  if (!report.whatIf.length) return '';
  return `<h2>What if</h2><p class="note">Each answer comes from running the scenario again with that task sped up.</p><ul>${report.whatIf.map((w) => `<li>${esc(w.sentence)}</li>`).join('')}</ul>`;
}

function steps(report: Report): string {
  const rows = report.tasks.flatMap((t) =>
    t.steps.map(
      (s) =>
        `<tr><td>${Math.round(s.at / 6) / 10}m</td><td>${esc(t.id)}</td><td>${s.layer}</td><td>${s.step}</td><td>${esc(s.decision)}</td><td>${pct(s.moved)}</td><td>${pct(s.remaining)}</td><td>${esc(s.reason ?? '')}</td></tr>`,
    ),
  );
  if (!rows.length) return '';
  return `<details><summary>Shift steps (${rows.length}) — ${esc(report.pacing)}</summary><table><tr><th>at</th><th>task</th><th>layer</th><th>step</th><th>decision</th><th>moved</th><th>left</th><th>why</th></tr>${rows.join('')}</table></details>`;
}

/** Failed requests by cause and place: every red figure with its answer (the detailed pacer's rows, all pacers' causes). */
function failures(reports: readonly Report[]): string {
  const main = reports[0]!;
  const total = main.failedRequests;
  const share = (n: number): string => (total > 0 ? `${((n / total) * 100).toFixed(1)} %` : '—');
  const rows = main.failures
    .slice(0, 20)
    .map(
      (f) =>
        `<tr><td class="bad">${f.requests.toLocaleString('en')}</td><td>${share(f.requests)}</td><td>${esc(f.service)}</td>` +
        `<td>${esc(f.datacenter ?? 'the edge')}</td><td>${esc(f.cause)}</td><td>${esc(CAUSE_TEXT[f.cause])}</td></tr>`,
    );
  const rest = main.failures.slice(20);
  if (rest.length > 0) {
    const n = rest.reduce((a, f) => a + f.requests, 0);
    rows.push(
      `<tr><td>${n.toLocaleString('en')}</td><td>${share(n)}</td><td colspan="4">${rest.length} more</td></tr>`,
    );
  }
  const table = rows.length
    ? `<table><tr><th>requests</th><th>share</th><th>service</th><th>where</th><th>cause</th><th>what happened</th></tr>${rows.join('')}</table>`
    : '<p class="good">No request failed.</p>';
  const byPacer =
    reports.length > 1
      ? `<p class="note">By cause, each pacer: ${reports
          .map(
            (r) =>
              `<b>${esc(r.pacing)}</b> ${
                failuresByCause(r.failures)
                  .map((c) => `${esc(c.cause)} ${c.requests.toLocaleString('en')}`)
                  .join(', ') || 'none'
              }`,
          )
          .join('; ')}</p>`
      : '';
  return `<h2>Failed requests by cause and place (${esc(main.pacing)}: ${total.toLocaleString('en')})</h2>${table}${byPacer}`;
}

function health(report: Report): string {
  const bad = report.health.filter((h) => h.ok !== true);
  const rows = bad.map(
    (h) =>
      `<tr><td>${Math.round(h.at / 6) / 10}m</td><td>${esc(h.task)}</td><td>${esc(h.check)}</td><td class="bad">${h.ok === null ? 'no reading' : 'failing'}</td><td>${esc(h.detail ?? '')}</td></tr>`,
  );
  return `<details${bad.length ? ' open' : ''}><summary>Health events: ${bad.length} failing or unread of ${report.health.length} checks</summary>${rows.length ? `<table><tr><th>at</th><th>task</th><th>check</th><th>state</th><th>detail</th></tr>${rows.join('')}</table>` : '<p>Every health check passed.</p>'}</details>`;
}

const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;max-width:960px;color:#111}h1{font-size:22px}h2{font-size:17px;margin-top:28px}h3{font-size:15px}
table{border-collapse:collapse;margin:8px 0}td,th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left;font-size:13px}.good{color:#15803d}.bad{color:#b91c1c;font-weight:600}
.dot{display:inline-block;width:10px;height:10px;border-radius:5px;margin-right:6px}.chart{width:100%;height:auto;margin:8px 0}.title{font-weight:600;font-size:13px}.axis{font-size:11px;fill:#444}
.grid{stroke:#eee}.mark{stroke:#999;stroke-dasharray:2 3}.bar{fill:#93c5fd}.bar.critical{fill:#dc2626}.bar.bad{fill:#fbbf24}.slack{fill:#cbd5e1}.tick{stroke:#1e3a8a;stroke-width:1}.crit{fill:#b91c1c;font-weight:600}
.headline li{font-size:15px}.note{color:#444}details{margin:10px 0}summary{cursor:pointer;font-weight:600}`;

/** The page for one or more reports of the same scenario; the first is the one detailed. */
export function renderHtml(reports: readonly Report[]): string {
  const main = reports[0];
  if (!main) return '<!doctype html><title>maelstrom drain test</title><p>No runs.</p>';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Drain test: ${esc(main.scenario)}</title><style>${CSS}</style></head><body>
<h1>Drain test of ${esc(main.scenario)}</h1><p class="note">Simulated from ${esc(main.start)}; times are minutes from the scenario's start.${main.drainedDatacenter ? ` Drained datacenter: <b>${esc(main.drainedDatacenter)}</b>.` : ''}</p>
${headline(reports)}${summaryTable(reports)}
${failures(reports)}
<h2>Traffic and load</h2>${charts(reports)}
<h2>Tasks (${esc(main.pacing)})</h2>${gantts(main)}${whatIfs(main)}
<h2>Steps and health</h2>${steps(main)}${health(main)}
</body></html>`;
}
