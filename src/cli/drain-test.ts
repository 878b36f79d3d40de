/**
 * `maelstrom drain-test SCENARIO -f PATH… [--pacing MODE] [--compare MODE,MODE…] [--report FILE.json]
 * [--html FILE.html]`: runs a scenario in process on virtual time, once per pacer, and reports how fast and how
 * safe each was and what bounded the drain.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { runDrainTest } from '../drill/drain-test.js';
import { loadOrFail } from '../load/check.js';
import { PacingMode } from '../model/definitions.js';
import { MaelstromError } from '../model/errors.js';
import type { EngineEvent } from '../model/events.js';
import { isTerminalTask } from '../model/states.js';
import { failureLines, failuresByCause } from '../report/failures.js';
import { renderHtml } from '../report/html.js';
import type { Report } from '../report/report.js';
import { collect } from './collect.js';
import { runFaultSearchCli, type FaultSearchCliOptions } from './fault-search.js';
import { planOutcomeLine } from '../report/plan-outcome.js';
import { formatDuration } from '../model/duration.js';

interface DrainTestCliOptions extends FaultSearchCliOptions {
  readonly searchFaults?: boolean;
  readonly file?: string[];
  readonly pacing?: string;
  readonly compare?: string;
  readonly report?: string;
  readonly html?: string;
  readonly whatIf: string;
}

function pacersOf(opts: DrainTestCliOptions): PacingMode[] {
  const names =
    opts.compare !== undefined
      ? opts.compare
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : opts.pacing !== undefined
        ? [opts.pacing]
        : [];
  const out: PacingMode[] = [];
  for (const n of names) {
    const parsed = PacingMode.safeParse(n);
    if (!parsed.success)
      throw new MaelstromError(
        'E_BAD_REQUEST',
        `unknown pacing "${n}": use self-regulating, closed-loop, fixed or oracle`,
      );
    if (!out.includes(parsed.data)) out.push(parsed.data);
  }
  // --pacing with --compare: that pacer is the one detailed (first).
  if (opts.compare !== undefined && opts.pacing !== undefined) {
    const first = PacingMode.safeParse(opts.pacing);
    if (!first.success)
      throw new MaelstromError(
        'E_BAD_REQUEST',
        `unknown pacing "${opts.pacing}": use self-regulating, closed-loop, fixed or oracle`,
      );
    return [first.data, ...out.filter((p) => p !== first.data)];
  }
  return out;
}

/** Seconds as the terminal shows every duration: 21m18s. */
const fmt = (s: number | null): string => (s === null ? '—' : formatDuration(s * 1000));

export function summaryTable(reports: readonly Report[]): string[] {
  const header = [
    'pacer',
    'outcome',
    'drain',
    'userFacingDrain',
    'overload',
    'maxUtilization',
    'failedRequests',
    'criticalPath',
  ];
  const rows = reports.map((r) => {
    const p = r.plans.find((x) => x.direction === 'drain') ?? r.plans[0];
    return [
      r.pacing,
      r.outcome,
      fmt(p?.drainSeconds ?? null),
      fmt(p?.userFacingDrainSeconds ?? null),
      fmt(r.overloadSeconds),
      r.maxUtilization.toFixed(3),
      String(r.failedRequests),
      r.criticalPath.slice(0, 2).join(' → ') + (r.criticalPath.length > 2 ? ' …' : ''),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** Why each plan that did not succeed did not, per pacer when there are several. */
export function outcomeLines(reports: readonly Report[]): string[] {
  const out: string[] = [];
  for (const r of reports)
    for (const p of r.plans) {
      const line = planOutcomeLine(p);
      if (line !== undefined) out.push(reports.length > 1 ? `${r.pacing}: ${line}` : line);
    }
  return out;
}

/** Progress on stderr: a line redrawn in place on a terminal, plain lines otherwise. */
function progress(tty: boolean): { phase(p: string): void; event(pacer: string, e: EngineEvent): void; done(): void } {
  const err = (s: string): void => {
    process.stderr.write(s);
  };
  let done = 0;
  let total = 0;
  let phase = '';
  const draw = (time: number): void => {
    if (tty)
      err(`\r\x1b[K${phase} — ${new Date(time).toISOString().slice(11, 19)} simulated, ${done}/${total} tasks done`);
  };
  return {
    phase: (p) => {
      phase = p;
      done = 0;
      total = 0;
      if (tty) err(`\r\x1b[K${p}`);
      else err(`${p}\n`);
    },
    event: (pacer, e) => {
      if (e.type === 'run.state') {
        if (!tty)
          err(
            `[${pacer}] ${new Date(e.time).toISOString().slice(11, 19)} ${e.plan}: ${e.state}${e.reason ? ` (${e.reason})` : ''}\n`,
          );
      } else if (e.type === 'task.state') {
        if (e.state === 'pending') total++;
        if (isTerminalTask(e.state)) done++;
        if (!tty && (e.state === 'failed' || e.state === 'blocked'))
          err(
            `[${pacer}] ${new Date(e.time).toISOString().slice(11, 19)} ${e.taskId}: ${e.state}${e.reason ? ` (${e.reason})` : ''}\n`,
          );
      }
      draw(e.time);
    },
    done: () => {
      if (tty) err('\r\x1b[K');
    },
  };
}

export function registerDrainTest(program: Command): void {
  program
    .command('drain-test')
    .description("Run a scenario's drain test in process on virtual time; report how fast and how safe each pacer was.")
    .argument('<scenario>', 'name of the Scenario (its run: schedule says which plans run when)')
    .option('-f, --file <path>', 'definition file or directory (repeatable)', collect)
    .option('--pacing <mode>', "self-regulating, closed-loop, fixed or oracle (default: each plan's own pacing)")
    .option(
      '--compare <modes>',
      'comma-separated pacers to run one after another and overlay, e.g. self-regulating,closed-loop,oracle',
    )
    .option(
      '--report <file>',
      'write the report JSON here (with --compare: the first pacer\'s, the others under "compare")',
    )
    .option('--html <file>', 'write the self-contained HTML report here')
    .option('--what-if <count>', 'critical tasks to re-run sped up by half, for the what-ifs (0: none)', '3')
    .option('--search-faults', 'search for the smallest sets of faults that break the runbook (docs/fault-search.md)')
    .option('--max-faults <k>', 'with --search-faults: faults injected together at most (default 2)')
    .option('--budget <n>', 'with --search-faults: executions at most, the fault-free one included (default 200)')
    .option('--strategy <name>', 'with --search-faults: lineage (default) or random')
    .option('--seed <s>', 'with --search-faults: seeds the search (not the world, which the scenario seeds)')
    .option('--workers <n>', 'with --search-faults: executions at once on worker threads (default: the cores)')
    .option(
      '--queue <url>',
      'with --search-faults: run executions on a Redis queue (redis://HOST:PORT) served by `maelstrom worker`',
    )
    .option('--faults <kinds>', `with --search-faults: the fault kinds to search, comma-separated (default all)`)
    .action(async (scenario: string, opts: DrainTestCliOptions) => {
      if (opts.searchFaults === true) {
        if (opts.compare !== undefined)
          throw new MaelstromError(
            'E_BAD_REQUEST',
            '--search-faults runs one pacer: give --pacing rather than --compare',
          );
        const [pacing] = pacersOf(opts);
        const sources = opts.file?.length ? opts.file : ['.'];
        await runFaultSearchCli(scenario, sources, await loadOrFail(sources), pacing, opts);
        return;
      }
      const searchOnly = ['maxFaults', 'budget', 'strategy', 'seed', 'workers', 'queue', 'faults'] as const;
      const stray = searchOnly.find((k) => opts[k] !== undefined);
      if (stray !== undefined)
        throw new MaelstromError(
          'E_BAD_REQUEST',
          `--${stray.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} needs --search-faults`,
        );
      const whatIfs = Number(opts.whatIf);
      if (!Number.isInteger(whatIfs) || whatIfs < 0)
        throw new MaelstromError('E_BAD_REQUEST', `--what-if must be a whole number, got "${opts.whatIf}"`);
      const pacers = pacersOf(opts);
      const definitions = await loadOrFail(opts.file?.length ? opts.file : ['.']);
      const view = progress(process.stderr.isTTY === true);
      const reports = await runDrainTest({
        definitions,
        scenario,
        pacers,
        whatIfs,
        onEvent: (p, e) => view.event(p, e),
        onPhase: (p) => view.phase(p),
      });
      view.done();
      if (opts.report !== undefined) {
        const [main, ...others] = reports;
        writeFileSync(opts.report, `${JSON.stringify(others.length ? { ...main, compare: others } : main, null, 2)}\n`);
      }
      if (opts.html !== undefined) writeFileSync(opts.html, renderHtml(reports));
      const out = (line: string): void => {
        process.stdout.write(`${line}\n`);
      };
      out(`drain test of ${scenario}`);
      for (const line of summaryTable(reports)) out(`  ${line}`);
      for (const line of outcomeLines(reports)) out(`  ${line}`);
      const main = reports[0];
      if (main) {
        out(`${main.pacing}: ${failureLines(main.failures, main.failedRequests)[0]}`);
        for (const line of failureLines(main.failures, main.failedRequests).slice(1)) out(line);
        for (const other of reports.slice(1)) {
          const causes = failuresByCause(other.failures).map((c) => `${c.cause} ${c.requests.toLocaleString('en')}`);
          out(
            `${other.pacing}: ${other.failedRequests.toLocaleString('en')} failed requests` +
              (causes.length ? ` (${causes.join(', ')})` : ''),
          );
        }
      }
      for (const w of reports[0]?.whatIf ?? []) out(`  ${w.sentence}`);
      if (opts.report !== undefined) out(`report: ${opts.report}`);
      if (opts.html !== undefined) out(`html: ${opts.html}`);
      if (reports.some((r) => r.outcome !== 'succeeded')) process.exitCode = 3;
    });
}
