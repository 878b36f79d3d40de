/**
 * `maelstrom plan NAME -f PATH… [--json] [--explain]`: compiles a plan and shows its task DAG by waves, the highly
 * connected components, the pre-flight capacity check and the estimated critical path; with --explain, why each task
 * waits for what. Exit codes: 0 when the plan compiles and passes its pre-flight check, 1 for invalid definitions, 3
 * when the pre-flight check fails (the plan is still shown, with the figures), 4 for an unknown plan.
 */
import type { Command } from 'commander';
import type { CompiledPlan } from '../model/compiled.js';
import { formatDuration } from '../model/duration.js';
import { errorMapping } from '../model/errors.js';
import { formatDiagnostic } from '../load/diagnostic.js';
import { loadAndLint } from '../load/check.js';
import { compilePlan, describeWait, planJson } from '../plan/index.js';
import { collect } from './collect.js';

interface PlanOptions {
  readonly file?: string[];
  readonly json?: boolean;
  readonly explain?: boolean;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function pct(x: number | null): string {
  return x !== null && Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : '—';
}

function table(rows: readonly (readonly string[])[], rightAligned: readonly boolean[]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) =>
    r
      .map((cell, i) => (rightAligned[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

/** Wraps a list of ids to the terminal width, indented under the wave number. */
function wrap(ids: readonly string[], indent: number, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const id of ids) {
    const piece = line === '' ? id : `, ${id}`;
    if (line !== '' && indent + line.length + piece.length > width) {
      lines.push(`${line},`);
      line = id;
    } else line += piece;
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

/** The human form. */
export function formatPlan(c: CompiledPlan, width = 100, explain = false): string {
  const out: string[] = [];
  const byId = new Map(c.tasks.map((t) => [t.id, t] as const));
  const edges = c.tasks.reduce((s, t) => s + t.after.length, 0);
  out.push(
    `Plan ${c.plan}: ${c.direction} ${c.datacenter} (fleet ${c.fleet}), ${plural(c.tasks.length, 'task')}, ` +
      `${plural(edges, 'dependency', 'dependencies')}, ${plural(c.waves.length, 'wave')}, concurrency ${c.concurrency}`,
  );
  if (c.restorePlan !== undefined) out.push(`Undone by: ${c.restorePlan}`);
  out.push('', 'Waves (tasks of a wave can run together once the earlier waves are done; user-facing first):');
  const numberWidth = String(c.waves.length).length;
  c.waves.forEach((ids, i) => {
    const label = `  ${String(i + 1).padStart(numberWidth)}  `;
    out.push(label + wrap(ids, label.length, width));
  });

  out.push('', 'Highly connected components:');
  const groups = c.hccGroups ?? c.hccs.map((h) => [h]);
  if (groups.length === 0) out.push('  none');
  const sharedNote =
    c.direction === 'drain'
      ? '  (shared by many services: its callers move first, its callees after)'
      : '  (shared by many services: its dependencies move first, its callers after)';
  for (const g of groups)
    out.push(`  ${g.join(' + ')}${g.length > 1 ? '  (a dependency cycle, moved as one unit)' : sharedNote}`);

  const pf = c.preflight;
  // A drain asks whether the others absorb the datacenter's load; a restore whether the datacenter carries it again.
  const restore = c.direction === 'restore';
  const subject = restore ? `Pre-flight check of ${c.datacenter} taking its load back` : 'Pre-flight capacity check';
  out.push('', `${subject} at ${pct(pf.targetUtilization)} target utilisation: ${pf.ok ? 'ok' : 'FAILED'}`);
  const rows: string[][] = [
    ['service', 'load (req/s)', restore ? 'capacity at target' : 'headroom (req/s)', 'utilisation after', 'ok'],
  ];
  for (const s of pf.services) {
    rows.push([
      s.service,
      Math.round(s.load).toString(),
      Math.round(s.headroom).toString(),
      pct(s.utilizationAfter),
      s.ok ? 'ok' : `NO: ${s.reason ?? ''}`,
    ]);
  }
  for (const line of table(rows, [false, true, true, true, false])) out.push(`  ${line}`);

  out.push(
    '',
    `Estimated critical path: ${formatDuration(c.estimateMs)} ` +
      '(an estimate from expected durations with unlimited concurrency, not a bound: a run can beat it)',
  );
  const cpWidth = Math.max(0, ...c.criticalPath.map((id) => id.length));
  for (const id of c.criticalPath) {
    const t = byId.get(id);
    out.push(`  ${id.padEnd(cpWidth)}  ${t ? formatDuration(t.expectedMs) : ''}`);
  }
  if (explain) out.push('', ...explanation(c));
  return `${out.join('\n')}\n`;
}

/** `--explain`: for every task, what it waits for and why, and how long it is expected to take. */
export function explanation(c: CompiledPlan): string[] {
  const out = ['Why each task waits (in the order a run with unlimited concurrency would start them):'];
  for (const t of c.tasks) {
    const waits = t.waits ?? t.after.map((after) => ({ after, weak: t.weakAfter.includes(after), because: undefined }));
    if (waits.length === 0) out.push(`  ${t.id}: waits for nothing`);
    for (const w of waits)
      out.push(
        `  ${t.id} ← ${w.after}: ${w.because ? describeWait({ ...w, because: w.because }, c.direction) : 'its dependency'}`,
      );
    out.push(
      `      expected ${formatDuration(t.expectedMs)}${t.expectedNote !== undefined ? `: ${t.expectedNote}` : ''}`,
    );
  }
  return out;
}

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description(
      'compile a plan: the task DAG by waves, highly connected components, pre-flight capacity check, estimated critical path',
    )
    .argument('<name>', 'the plan to compile')
    .option('-f, --file <path>', 'a definitions file or directory (repeatable)', collect)
    .option('--json', 'print one JSON object instead of the human form')
    .option('--explain', 'for every task, what it waits for and why, and its expected duration')
    .action(async (name: string, options: PlanOptions) => {
      const files = options.file ?? [];
      if (files.length === 0) {
        process.stderr.write(
          'maelstrom: error E_BAD_REQUEST: give the definitions with -f PATH (a file or a directory, repeatable)\n',
        );
        process.exitCode = errorMapping.E_BAD_REQUEST.exit;
        return;
      }
      const { definitions, diagnostics } = await loadAndLint(files);
      const errors = diagnostics.filter((d) => d.severity === 'error');
      if (errors.length > 0) {
        for (const d of diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
        process.stderr.write(
          `maelstrom: ${errors.length} error${errors.length === 1 ? '' : 's'} in the definitions; nothing planned\n`,
        );
        process.exitCode = 1;
        return;
      }
      const compiled = compilePlan(definitions, name);
      process.stdout.write(
        options.json
          ? `${JSON.stringify(planJson(compiled), null, 2)}\n`
          : formatPlan(compiled, process.stdout.columns ?? 100, options.explain === true),
      );
      if (!compiled.preflight.ok) {
        const failed = compiled.preflight.services.filter((s) => !s.ok).map((s) => s.service);
        const shown =
          failed.length > 8
            ? `${failed.slice(0, 8).join(', ')} and ${failed.length - 8} more services`
            : failed.join(', ');
        process.stderr.write(
          `maelstrom: error E_PREFLIGHT: the other datacenters cannot absorb ${shown} ` +
            `at ${pct(compiled.preflight.targetUtilization)}; this plan would be refused\n`,
        );
        process.exitCode = errorMapping.E_PREFLIGHT.exit;
      }
    });
}
