/**
 * The HTML report: one self-contained page (inline SVG and CSS, no external assets) that answers at a glance how
 * fast and how safe each pacer was, and what bounded the drain.
 */
import { formatDuration } from '../model/duration.js';
import { planOutcomeLine } from './plan-outcome.js';
import { CAUSE_TEXT, failuresByCause } from './failures.js';
import type { Report, TaskReport } from './report.js';
import { PACER_COLOR, PALETTE, esc, gantt, lineChart, type GanttBar } from './svg.js';

const pct = (v: number): string => `${Math.round(v * 100)}%`;
/** Seconds as every duration is shown, on the terminal as here: 21m18s. */
const dur = (s: number | null): string => (s === null ? '—' : formatDuration(s * 1000));
/** Simulated seconds as minutes to one decimal, for the tables. */
const atMinutes = (s: number): string => dur(s);
const overload = (r: Report): string => `${dur(r.overloadSeconds)} of overload`;

/** Table pieces; the cells' contents are markup, already escaped. */
const th = (names: readonly string[]): string => `<tr>${names.map((n) => `<th>${n}</th>`).join('')}</tr>`;
const td = (html: string, cls?: string): string => (cls ? `<td class="${cls}">${html}</td>` : `<td>${html}</td>`);
const tr = (cells: readonly string[]): string => `<tr>${cells.join('')}</tr>`;
const goodIf = (good: boolean): string => (good ? 'good' : 'bad');

function summaryTable(reports: readonly Report[]): string {
  const head = th([
    'pacer',
    'outcome',
    'drain',
    'user-facing out',
    'overload',
    'peak utilisation',
    'failed requests',
    'cross-dc RPC',
    'cross-dc calls',
    'critical path',
  ]);
  const rows = reports.map((r) => {
    const p = r.plans.find((x) => x.direction === 'drain') ?? r.plans[0];
    const dot = `<span class="dot" style="background:${PACER_COLOR[r.pacing] ?? '#555'}"></span>`;
    const path = `${esc(r.criticalPath.slice(0, 3).join(' → '))}${r.criticalPath.length > 3 ? ' …' : ''}`;
    return tr([
      td(`${dot}${esc(r.pacing)}`),
      td(esc(r.outcome), goodIf(r.outcome === 'succeeded')),
      td(`<b>${dur(p?.drainSeconds ?? null)}</b>`),
      td(dur(p?.userFacingDrainSeconds ?? null)),
      td(dur(r.overloadSeconds), goodIf(r.overloadSeconds <= 0)),
      td(pct(r.maxUtilization), goodIf(r.maxUtilization <= 0.95)),
      td(r.failedRequests.toLocaleString('en'), goodIf(r.failedRequests <= 0)),
      td(dur(r.crossDatacenterRpcSeconds)),
      // Calls to a callee not served where the caller is: what the order decides (the rest is writes to primaries).
      td(dur(r.crossDatacenterCallSeconds)),
      td(path),
    ]);
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
    const theirs = `${dur(b)}, ${overload(other)}, peak ${pct(other.maxUtilization)}`;
    lines.push(`${esc(main.pacing)} drained in ${dur(a)}: ${how} ${esc(other.pacing)} (${theirs})`);
  }
  const failed = `${main.failedRequests.toLocaleString('en')} failed requests`;
  lines.push(`${esc(main.pacing)}: ${overload(main)}, peak utilisation ${pct(main.maxUtilization)}, ${failed}`);
  // Where, and for how long: "west overloaded for 50s" says more than a sum over services.
  for (const o of main.overloadByDatacenter ?? [])
    lines.push(
      `${esc(o.datacenter)} overloaded for ${dur(o.seconds)} in all (${o.services} ` +
        `${o.services === 1 ? 'service' : 'services'}, ${dur(o.serviceSeconds)} summed; longest ` +
        `${esc(o.longest.service)}, ${dur(o.longest.seconds)})`,
    );
  // A plan that did not succeed says why, with the engine's code when it refused to start it.
  for (const p of main.plans) {
    const line = planOutcomeLine(p);
    if (line !== undefined) lines.push(`<span class="bad">${esc(line)}</span>`);
  }
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

/** A task bar's tooltip: its state, how long it took, its slack and each stage's time. */
function taskDetail(t: TaskReport, end: number): string {
  const slack = t.slack !== null ? `, slack ${dur(t.slack)}` : '';
  const stages = t.stages
    .map((s) => `${s.uses} ${s.finishedAt !== null ? dur(s.finishedAt - s.startedAt) : '?'}`)
    .join(', ');
  return `${t.id} (${t.state}): ${dur(end - t.startedAt!)}${slack}; stages: ${stages}`;
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
        detail: taskDetail(t, end(t)),
      }));
    const xMin = Math.min(...bars.map((b) => b.start));
    const xMax = Math.max(...bars.map((b) => b.end + (b.slack ?? 0)));
    out.push(`<h3>${esc(plan.name)} — ${esc(plan.outcome)}, ${dur(plan.drainSeconds)}</h3>`);
    out.push(
      gantt(
        `Tasks of ${plan.name}: critical path in red, slack as a thin line, shift steps as ticks`,
        bars,
        xMin,
        xMax,
      ),
    );
    if (plan.criticalStages.length) {
      const bounds = plan.criticalStages.map((s) => `${esc(s.task)} (${esc(s.uses)}, ${dur(s.seconds)})`);
      out.push(`<p class="note">Bounded by: ${bounds.join(' → ')}</p>`);
    }
  }
  return out.join('\n');
}

function whatIfs(report: Report): string {
  if (!report.whatIf.length) return '';
  const note = '<p class="note">Each answer comes from running the scenario again with that task sped up.</p>';
  const answers = report.whatIf.map((w) => `<li>${esc(w.sentence)}</li>`).join('');
  return `<h2>What if</h2>${note}<ul>${answers}</ul>`;
}

function steps(report: Report): string {
  const rows = report.tasks.flatMap((t) =>
    t.steps.map((s) =>
      tr(
        [
          atMinutes(s.at),
          esc(t.id),
          s.layer,
          `${s.step}`,
          esc(s.decision),
          pct(s.moved),
          pct(s.remaining),
          esc(s.reason ?? ''),
        ].map((c) => td(c)),
      ),
    ),
  );
  if (!rows.length) return '';
  const head = th(['at', 'task', 'layer', 'step', 'decision', 'moved', 'left', 'why']);
  const summary = `Shift steps (${rows.length}) — ${esc(report.pacing)}`;
  return `<details><summary>${summary}</summary><table>${head}${rows.join('')}</table></details>`;
}

/** The self-regulating pacer's actions: symptom → diagnosis → action → judged effect, one row each. */
function regulation(report: Report): string {
  if (!report.regulation.length) return '';
  const rows = report.regulation.map((r) =>
    tr([
      td(atMinutes(r.at)),
      td(esc(r.layer ? `${r.task} (${r.layer})` : r.task)),
      td(esc(r.symptoms.join('; '))),
      td(esc(r.diagnosis)),
      td(`${esc(r.resolver)} #${r.action}: ${esc(r.did)}`),
      td(
        r.outcome ? `${esc(r.outcome)} at ${atMinutes(r.judgedAt ?? r.at)}: ${esc(r.judged ?? '')}` : 'not judged yet',
        r.outcome === 'not-helped' ? 'bad' : '',
      ),
    ]),
  );
  const head = th(['at', 'task', 'symptoms', 'diagnosis', 'action', 'judged effect']);
  const summary = `Self-regulation (${esc(report.pacing)}): ${rows.length} actions, why each was taken and what it did`;
  return `<details open><summary>${summary}</summary><table>${head}${rows.join('')}</table></details>`;
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
    ? `<table>${th(['requests', 'share', 'service', 'where', 'cause', 'what happened'])}${rows.join('')}</table>`
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
  const rows = bad.map((h) =>
    tr([
      td(atMinutes(h.at)),
      td(esc(h.task)),
      td(esc(h.check)),
      td(h.ok === null ? 'no reading' : 'failing', 'bad'),
      td(esc(h.detail ?? '')),
    ]),
  );
  const summary = `Health events: ${bad.length} failing or unread of ${report.health.length} checks`;
  const table = `<table>${th(['at', 'task', 'check', 'state', 'detail'])}${rows.join('')}</table>`;
  const body = rows.length ? table : '<p>Every health check passed.</p>';
  return `<details${bad.length ? ' open' : ''}><summary>${summary}</summary>${body}</details>`;
}

/** The page's style, in groups of rules: page and headings, tables, charts, Gantt bars, the rest. */
const CSS = [
  [
    'body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;max-width:960px;color:#111}',
    'h1{font-size:22px}h2{font-size:17px;margin-top:28px}h3{font-size:15px}',
  ],
  [
    'table{border-collapse:collapse;margin:8px 0}',
    'td,th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left;font-size:13px}',
    '.good{color:#15803d}.bad{color:#b91c1c;font-weight:600}',
  ],
  [
    '.dot{display:inline-block;width:10px;height:10px;border-radius:5px;margin-right:6px}',
    '.chart{width:100%;height:auto;margin:8px 0}.title{font-weight:600;font-size:13px}.axis{font-size:11px;fill:#444}',
  ],
  [
    '.grid{stroke:#eee}.mark{stroke:#999;stroke-dasharray:2 3}',
    '.bar{fill:#93c5fd}.bar.critical{fill:#dc2626}.bar.bad{fill:#fbbf24}.slack{fill:#cbd5e1}',
    '.tick{stroke:#1e3a8a;stroke-width:1}.crit{fill:#b91c1c;font-weight:600}',
  ],
  ['.headline li{font-size:15px}.note{color:#444}details{margin:10px 0}summary{cursor:pointer;font-weight:600}'],
]
  .map((rules) => rules.join(''))
  .join('\n');

/** The fault search's section: what it tried, whether it certified the runbook, the fault sets that broke it. */
function faultSearch(r: Report): string {
  const f = r.faultSearch;
  if (!f) return '';
  const verdict = f.certified
    ? `<p class="good">Certified: no set of at most ${f.maxFaults} faults of the vocabulary breaks the runbook.</p>`
    : f.counterexamples.length === 0
      ? `<p>No counterexample within ${f.executions} executions (not certified: the budget ended first).</p>`
      : '';
  const about =
    `<p class="note">${esc(f.strategy)} strategy, ${f.executions} executions (budget ${f.budget}, seed ${f.seed}), ` +
    `at most ${f.maxFaults} faults from ${f.vocabularySize} (${esc(f.kinds.join(', '))}, windows of ` +
    `${Math.round(f.windowSeconds / 60)} min), run on ${esc(f.ranOn)} in ${Math.round(f.wallSeconds)} s.</p>`;
  const props = `<table>${th(['property', 'what it asks', 'fault-free run'])}${f.properties
    .map((p) =>
      tr([td(esc(p.name)), td(esc(p.description)), td(r.violations.includes(p.name as never) ? 'broken' : 'held')]),
    )
    .join('')}</table>`;
  const rows = f.counterexamples.map((c) =>
    tr([
      td(String(c.execution)),
      td(esc(c.keys.join(' + ') || 'none')),
      td(esc(c.violated.join(', ')), 'bad'),
      td(`<code>${esc(c.replay)}</code>`),
    ]),
  );
  const table = rows.length ? `<table>${th(['execution', 'faults', 'broke', 'replay'])}${rows.join('')}</table>` : '';
  return `<h2>Fault search</h2>${about}${verdict}${table}<h3>Properties</h3>${props}`;
}

/** The page for one or more reports of the same scenario; the first is the one detailed. */
export function renderHtml(reports: readonly Report[]): string {
  const main = reports[0];
  if (!main) return '<!doctype html><title>maelstrom drain test</title><p>No runs.</p>';
  const head = `<head><meta charset="utf-8"><title>Drain test: ${esc(main.scenario)}</title><style>${CSS}</style></head>`;
  const dc = main.drainedDatacenter ? ` Drained datacenter: <b>${esc(main.drainedDatacenter)}</b>.` : '';
  const note = `<p class="note">Simulated from ${esc(main.start)}; times are minutes from the scenario's start.${dc}</p>`;
  return `<!doctype html><html lang="en">${head}<body>
<h1>Drain test of ${esc(main.scenario)}</h1>${note}
${headline(reports)}${summaryTable(reports)}
${failures(reports)}
<h2>Traffic and load</h2>${charts(reports)}
<h2>Tasks (${esc(main.pacing)})</h2>${gantts(main)}${whatIfs(main)}
<h2>Steps and health</h2>${regulation(main)}${steps(main)}${health(main)}
${faultSearch(main)}
</body></html>`;
}
