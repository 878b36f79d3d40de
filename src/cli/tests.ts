/**
 * `maelstrom tests [-f PATH…] [--store …] [--json]`: the drain-test practice in a store: per datacenter the last
 * test and the next one due (with the definitions' schedules, `-f`), the running tests, the skips with their reasons,
 * and per drain plan the trend of its drain time.
 *
 * `maelstrom tests halt --reason R` and `maelstrom tests resume`: the tests' kill switch, set in the store (audited),
 * so that it holds whether a controller runs or not; the controller driving the store aborts every running test and
 * restores its datacenter at its next look at it, within seconds.
 */
import type { Command } from 'commander';
import { loadOrFail } from '../load/check.js';
import type { TestView, TestsView } from '../model/api.js';
import { switchTests } from '../schedule/halt.js';
import { testsView } from '../schedule/view.js';
import { collect } from './collect.js';
import { actorOf, openStore, STORE_HELP } from './run-options.js';

interface TestsCliOptions {
  readonly file?: string[];
  readonly store?: string;
  readonly json?: boolean;
}

interface SwitchCliOptions {
  readonly store?: string;
  readonly reason?: string;
  readonly as?: string;
}

const when = (t: number | undefined): string =>
  t === undefined
    ? '—'
    : new Date(t)
        .toISOString()
        .replace(/:\d\d\.\d{3}Z$/, 'Z')
        .replace('T', ' ');
const secs = (s: number | undefined): string => (s === undefined ? '—' : `${s}s`);

function outcomeOf(t: TestView): string {
  return t.phase === 'done' ? (t.outcome ?? 'done') : `${t.phase}${t.outcome ? ` (${t.outcome})` : ''}`;
}

/** A small text chart of drain times: one block a test, taller for longer. */
export function sparkline(values: readonly number[]): string {
  const blocks = '▁▂▃▄▅▆▇█';
  const max = Math.max(...values);
  const min = Math.min(...values);
  return values.map((v) => blocks[max === min ? 3 : Math.round(((v - min) / (max - min)) * 7)]).join('');
}

export function renderTests(view: TestsView): string[] {
  const lines: string[] = [];
  if (view.halt?.halted)
    lines.push(
      `TESTS HALTED since ${when(view.halt.since)} by ${view.halt.actor}${view.halt.reason ? `: ${view.halt.reason}` : ''}`,
    );
  if (view.schedules.length === 0)
    lines.push('no schedules in the definitions (give -f PATH to see the next due tests)');
  for (const s of view.schedules) lines.push(`schedule ${s.name}: ${s.cadence} (${s.timeZone}), ${s.pick}`);
  lines.push('', 'datacenter  last test          outcome       drain  restore  next due');
  for (const d of view.datacenters) {
    const l = d.last;
    const next = d.next ? `${when(d.next.at)} (${d.next.drain})` : '—';
    lines.push(
      `${d.datacenter.padEnd(11)} ${when(l?.startedAt).padEnd(18)} ${(l ? outcomeOf(l) : '—').padEnd(13)} ` +
        `${secs(l?.drainSeconds).padStart(5)}  ${secs(l?.restoreSeconds).padStart(7)}  ${next}`,
    );
  }
  if (view.running.length > 0) {
    lines.push('', 'running:');
    for (const t of view.running) lines.push(`  ${t.id} ${t.datacenter} ${outcomeOf(t)} since ${when(t.startedAt)}`);
  }
  if (view.trends.length > 0) {
    lines.push('', 'drain time of the last tests, per plan:');
    for (const t of view.trends) {
      const values = t.points.map((p) => p.drainSeconds);
      lines.push(`  ${t.plan.padEnd(20)} ${sparkline(values)}  last ${values.at(-1) ?? '—'}s (${values.length} tests)`);
    }
  }
  if (view.skips.length > 0) {
    lines.push('', 'skipped:');
    for (const s of view.skips)
      lines.push(`  ${when(s.at)} ${s.schedule}${s.datacenter ? ` ${s.datacenter}` : ''}: ${s.reason}`);
  }
  return lines;
}

export function registerTests(program: Command): void {
  const tests = program
    .command('tests')
    .description('Show the drain tests of the schedules: the last and next per datacenter, skips, drain-time trends.')
    .option(
      '-f, --file <path>',
      'definition file or directory with the schedules (repeatable), for the next due tests',
      collect,
    )
    .option('--store <store>', STORE_HELP)
    .option('--json', 'print JSON')
    .action(async (opts: TestsCliOptions) => {
      const definitions = opts.file?.length ? await loadOrFail(opts.file) : undefined;
      const store = await openStore(opts.store);
      try {
        const view = await testsView(store, definitions, Date.now());
        const out = (line: string): void => {
          process.stdout.write(`${line}\n`);
        };
        if (opts.json) out(JSON.stringify(view, null, 2));
        else for (const line of renderTests(view)) out(line);
      } finally {
        await store.close();
      }
    });

  for (const halted of [true, false]) {
    tests
      .command(halted ? 'halt' : 'resume')
      .description(
        halted
          ? 'Halt the drain tests: none starts, and every running one is aborted and its datacenter restored.'
          : 'Resume the drain tests after a halt.',
      )
      .option('--reason <text>', halted ? 'why (required, for the record)' : 'why, for the record')
      .option('--store <store>', STORE_HELP)
      .option('--as <name>', 'who is acting, for the record (default: the local user)')
      .action(async (_opts: SwitchCliOptions, cmd: Command) => {
        // `--store` may be given before the subcommand too (`tests --store … halt`): it is the parent's option then.
        const opts = cmd.optsWithGlobals<SwitchCliOptions>();
        const store = await openStore(opts.store);
        try {
          const { halt, stopping } = await switchTests(store, actorOf(opts.as), halted, opts.reason, Date.now());
          const running = stopping.map((t) => `${t.id} (${t.datacenter}, ${t.phase})`).join(', ');
          process.stdout.write(
            halted
              ? `tests halted by ${halt.actor}: no test starts until \`maelstrom tests resume\`` +
                  `${stopping.length > 0 ? `; the controller aborts and restores ${running}` : ''}\n`
              : `tests resumed by ${halt.actor}: the schedules start tests again when they fall due\n`,
          );
        } finally {
          await store.close();
        }
      });
  }
}
