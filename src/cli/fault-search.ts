/**
 * `maelstrom drain-test SCENARIO -f PATH… --search-faults [--max-faults K] [--budget N] [--strategy lineage|random]
 * [--seed S] [--workers N] [--queue redis://HOST:PORT] [--report F] [--faults KINDS]`: the fault search of a drain
 * test. Runs the scenario with faults injected (docs/fault-search.md), writes the report with its `faultSearch`
 * section and one replay file per counterexample beside it, and prints the smallest fault sets that broke the
 * runbook. A search that ran to its end exits 0 whatever it found; it fails only when it could not run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { statSync } from 'node:fs';
import { stringify } from 'yaml';
import { runDrainTest } from '../drill/drain-test.js';
import { findScenario } from '../drill/runner.js';
import { PROPERTY_DESCRIPTIONS, PROPERTY_NAMES } from '../faults/properties.js';
import { searchFaults, type SearchProgress, type SearchResult, type Strategy } from '../faults/search.js';
import { parseKinds, SEARCH_KINDS } from '../faults/vocabulary.js';
import type { Definitions, PacingMode } from '../model/definitions.js';
import { MaelstromError } from '../model/errors.js';
import { renderHtml } from '../report/html.js';
import type { FaultSearchReport, Report } from '../report/report.js';
import { createInProcessPool, type ExecutionPool } from '../search/pool.js';
import { createQueuePool } from '../search/queue.js';
import { createThreadPool, defaultWorkers } from '../search/threads.js';

export interface FaultSearchCliOptions {
  readonly maxFaults?: string;
  readonly budget?: string;
  readonly strategy?: string;
  readonly seed?: string;
  readonly workers?: string;
  readonly queue?: string;
  readonly report?: string;
  readonly html?: string;
  readonly faults?: string;
}

function wholeNumber(text: string | undefined, flag: string, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new MaelstromError('E_BAD_REQUEST', `${flag} must be a whole number of at least ${min}, got "${text}"`);
  return n;
}

/** Whether loading `-f source` would read files at `path` (a directory source reads everything below it). */
function readsFrom(source: string, path: string): boolean {
  const abs = resolve(source);
  const dir = (() => {
    try {
      return statSync(abs).isDirectory();
    } catch {
      return false;
    }
  })();
  return dir && (path === abs || path.startsWith(abs + sep));
}

/** Where the report goes: `--report`, refused inside an -f folder; by default the working directory, or else tmp. */
function reportPath(opts: FaultSearchCliOptions, sources: readonly string[], scenario: string): string {
  if (opts.report !== undefined) {
    const path = resolve(opts.report);
    const inside = sources.find((s) => readsFrom(s, dirname(path)));
    if (inside !== undefined)
      throw new MaelstromError(
        'E_BAD_REQUEST',
        `--report ${opts.report} is inside -f ${inside}: the replay files written beside it would be read as ` +
          'definitions the next time; choose a place outside it',
      );
    return path;
  }
  const local = resolve(`fault-search-${scenario}`, 'report.json');
  if (!sources.some((s) => readsFrom(s, dirname(local)))) return local;
  return join(tmpdir(), 'maelstrom-fault-search', scenario, 'report.json');
}

/**
 * A progress bar redrawn in place on a terminal. Otherwise (a log) a line every 8 executions, at each new
 * counterexample and at the end, rather than one per execution.
 */
function progressView(tty: boolean): { update(p: SearchProgress): void; done(): void } {
  const width = 30;
  let lastLogged: SearchProgress | undefined;
  return {
    update: (p) => {
      if (!tty && lastLogged) {
        const due =
          p.executions - lastLogged.executions >= 8 ||
          p.counterexamples !== lastLogged.counterexamples ||
          p.executions >= p.budget;
        if (!due) return;
      }
      lastLogged = p;
      const filled = Math.round((p.executions / Math.max(1, p.budget)) * width);
      const bar = `[${'#'.repeat(filled)}${'-'.repeat(Math.max(0, width - filled))}]`;
      const found = `${p.counterexamples} counterexample${p.counterexamples === 1 ? '' : 's'}`;
      const line = `${bar} ${p.executions}/${p.budget} executions, ${found}${p.last ? ` — ${p.last}` : ''}`;
      if (tty) process.stderr.write(`\r\x1b[K${line.slice(0, (process.stderr.columns ?? 120) - 1)}`);
      else process.stderr.write(`${line}\n`);
    },
    done: () => {
      if (tty) process.stderr.write('\r\x1b[K');
    },
  };
}

export async function runFaultSearchCli(
  scenario: string,
  sources: readonly string[],
  definitions: Definitions,
  pacing: PacingMode | undefined,
  opts: FaultSearchCliOptions,
): Promise<void> {
  const maxFaults = wholeNumber(opts.maxFaults, '--max-faults', 2, 1);
  const budget = wholeNumber(opts.budget, '--budget', 200, 1);
  const seed = wholeNumber(opts.seed, '--seed', 1, 0);
  const strategy = (opts.strategy ?? 'lineage') as Strategy;
  if (strategy !== 'lineage' && strategy !== 'random')
    throw new MaelstromError('E_BAD_REQUEST', `--strategy must be lineage or random, got "${opts.strategy}"`);
  const { kinds, unknown } = parseKinds(opts.faults);
  if (unknown.length > 0 || kinds.length === 0)
    throw new MaelstromError(
      'E_BAD_REQUEST',
      `--faults: ${unknown.length ? `unknown kind${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}` : 'no kind given'}` +
        ` (kinds: ${SEARCH_KINDS.join(', ')})`,
    );
  if (opts.queue !== undefined && opts.workers !== undefined)
    throw new MaelstromError(
      'E_BAD_REQUEST',
      "--workers and --queue: the queue's workers are `maelstrom worker` processes",
    );
  const workers = wholeNumber(opts.workers, '--workers', defaultWorkers(), 1);
  const base = findScenario(definitions, scenario);
  const report = reportPath(opts, sources, scenario);
  const replayDir = dirname(report);

  const poolOptions = { definitions, ...(pacing ? { pacing } : {}) };
  const pool: ExecutionPool =
    opts.queue !== undefined
      ? createQueuePool({ ...poolOptions, url: opts.queue })
      : workers > 1
        ? createThreadPool({ ...poolOptions, workers })
        : createInProcessPool(poolOptions);
  const ranOn = opts.queue ?? (workers > 1 ? `threads:${workers}` : 'process');

  const view = progressView(process.stderr.isTTY === true);
  const t0 = Date.now();
  let result: SearchResult;
  try {
    result = await searchFaults(base, { strategy, maxFaults, budget, seed, kinds }, pool.run, (p) => view.update(p));
  } finally {
    view.done();
    await pool.close();
  }
  // The fault-free drain test is what the report shows; the search's own executions only say what broke.
  const reports: Report[] = await runDrainTest({ definitions, scenario, pacers: pacing ? [pacing] : [], whatIfs: 0 });
  const wallSeconds = (Date.now() - t0) / 1000;

  mkdirSync(replayDir, { recursive: true });
  const counterexamples = result.counterexamples.map((c) => {
    const replay = join(replayDir, `${c.scenario.metadata.name}.yaml`);
    writeFileSync(
      replay,
      `# Replay of a fault search counterexample: maelstrom drain-test ${c.scenario.metadata.name} -f … -f ${replay}\n` +
        stringify(c.scenario, { lineWidth: 0 }),
    );
    return {
      faults: c.faults,
      violated: c.violated,
      replay,
      execution: c.execution,
      keys: c.keys,
      scenario: c.scenario.metadata.name,
    };
  });
  const faultSearch: FaultSearchReport = {
    strategy: result.strategy,
    executions: result.executions,
    certified: result.certified,
    maxFaults: result.maxFaults,
    counterexamples,
    seed: result.seed,
    budget: result.budget,
    kinds: result.kinds,
    vocabularySize: result.vocabularySize,
    windowSeconds: result.windowSeconds,
    properties: PROPERTY_NAMES.map((name) => ({ name, description: PROPERTY_DESCRIPTIONS[name] })),
    ranOn,
    wallSeconds: Math.round(wallSeconds * 10) / 10,
  };
  const main = { ...reports[0]!, faultSearch };
  writeFileSync(report, `${JSON.stringify(main, null, 2)}\n`);
  if (opts.html !== undefined) writeFileSync(opts.html, renderHtml([main]));

  const out = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  const files = sources.map((s) => `-f ${s}`).join(' ');
  out(
    `fault search of ${scenario}: ${result.strategy}, ${result.executions} executions in ${Math.round(wallSeconds)} s`,
  );
  if (result.certified)
    out(`  certified: no set of at most ${maxFaults} faults (${result.kinds.join(', ')}) breaks the runbook`);
  else if (counterexamples.length === 0) out(`  no counterexample within the budget of ${budget} executions`);
  for (const [i, c] of counterexamples.entries()) {
    out(`  ${i + 1}. ${c.keys.join(' + ') || 'no fault at all'} → ${c.violated.join(', ')} (execution ${c.execution})`);
    out(
      `     replay: maelstrom drain-test ${c.scenario} ${files} -f ${c.replay}${pacing ? ` --pacing ${pacing}` : ''}`,
    );
  }
  out(`report: ${report}`);
  if (opts.html !== undefined) out(`html: ${opts.html}`);
}
