/**
 * `maelstrom schedule simulate NAME -f PATH… --from ISO --weeks N [--scenario S] [--json]`: rehearses a schedule's
 * calendar on virtual time against the in-process simulator, from an empty history, and prints what would have
 * happened: the tests in order, each with its outcome and times, and the due tests that were skipped, with why.
 */
import type { Command } from 'commander';
import { loadOrFail } from '../load/check.js';
import { MaelstromError } from '../model/errors.js';
import { simulateSchedule, type SimulatedSkip, type SimulatedTest } from '../schedule/simulate.js';
import { collect } from './collect.js';

interface SimulateCliOptions {
  readonly file?: string[];
  readonly from?: string;
  readonly weeks: string;
  readonly scenario?: string;
  readonly json?: boolean;
}

function parseFrom(text: string | undefined): number {
  if (text === undefined)
    throw new MaelstromError('E_BAD_REQUEST', '--from is required: an ISO time such as 2026-12-14T00:00:00Z');
  const ms = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN;
  if (!Number.isFinite(ms))
    throw new MaelstromError('E_BAD_REQUEST', `--from must be an ISO time such as 2026-12-14T00:00:00Z, got "${text}"`);
  return ms;
}

function parseWeeks(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || n > 520)
    throw new MaelstromError('E_BAD_REQUEST', `--weeks must be a number of weeks from 0 to 520, got "${text}"`);
  return n;
}

const when = (iso: string): string => iso.replace(/:00\.000Z$/, 'Z').replace('T', ' ');
const secs = (s: number | null): string => (s === null ? '—' : `${s}s`);

function line(e: SimulatedTest | SimulatedSkip): string {
  if ('reason' in e && !('outcome' in e)) return `${when(e.at)}  skipped  ${e.datacenter ?? '—'}  ${e.reason}`;
  const t = e;
  return (
    `${when(t.startedAt)}  ${t.outcome.padEnd(11)} ${t.datacenter.padEnd(8)} drain ${secs(t.drainSeconds).padStart(6)}` +
    `  restore ${secs(t.restoreSeconds).padStart(6)}  stuck ${t.stuckTasks}${t.reason ? `  (${t.reason})` : ''}`
  );
}

export function registerSchedule(program: Command): void {
  const schedule = program.command('schedule').description('Work with the Schedules of routine drain tests.');
  schedule
    .command('simulate')
    .description(
      'Rehearse a schedule on virtual time against the simulator, from an empty history: which tests would run, ' +
        'how they would end, and which would be skipped and why.',
    )
    .argument('<name>', 'name of the Schedule')
    .option('-f, --file <path>', 'definition file or directory (repeatable)', collect)
    .option('--from <iso>', 'when the rehearsal starts, e.g. 2026-12-14T00:00:00Z')
    .option('--weeks <n>', 'how many weeks to rehearse', '4')
    .option('--scenario <name>', "the Scenario whose load curve and seed the fleet follows (default: the simulator's)")
    .option('--json', 'print JSON')
    .action(async (name: string, opts: SimulateCliOptions) => {
      const fromMs = parseFrom(opts.from);
      const weeks = parseWeeks(opts.weeks);
      const definitions = await loadOrFail(opts.file?.length ? opts.file : ['.']);
      const out = (text: string): void => {
        process.stdout.write(`${text}\n`);
      };
      const started = Date.now();
      const result = await simulateSchedule({
        definitions,
        schedule: name,
        fromMs,
        weeks,
        ...(opts.scenario !== undefined ? { scenario: opts.scenario } : {}),
        ...(opts.json ? {} : { onEntry: (e) => out(line(e)) }),
      });
      if (opts.json) {
        out(JSON.stringify(result, null, 2));
        return;
      }
      const outcomes = new Map<string, number>();
      for (const t of result.tests) outcomes.set(t.outcome, (outcomes.get(t.outcome) ?? 0) + 1);
      const counted = [...outcomes].map(([o, n]) => `${n} ${o}`).join(', ') || 'none';
      const stuck = result.tests.reduce((n, t) => n + t.stuckTasks, 0);
      out(
        `${result.schedule}, ${when(result.from)} to ${when(result.to)}: ${result.tests.length} tests (${counted}), ` +
          `${result.skipped.length} skipped, ${stuck} stuck flags; rehearsed in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    });
}
