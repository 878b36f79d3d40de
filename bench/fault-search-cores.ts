/**
 * The speed-up per worker where each worker brings its own core: the whole search on one worker confined to one
 * core, against one worker per core on all of them, each in a child process whose threads `taskset` confines.
 *
 * On one machine, one worker against two on the same two cores says less than it seems: the one worker's process is
 * not one core's work. V8 optimises each isolate's code on compiler threads beside it (about a fifth of a search's
 * CPU, most of it in its first fifty executions), and with one worker an idle second core runs them for nothing, so
 * that `--workers 1` already uses about 1.2 cores. Confining each run to as many cores as it has workers measures
 * what adding a worker with its core (a host serving the queue, a larger machine) gains, which is what the search's
 * own design decides: the executions it hands out at once, how long the workers wait for the next, what the search's
 * thread costs beside them.
 *
 * Run as a script (FAULT_BENCH_CHILD_WORKERS, FAULT_BENCH_CHILD_EXECUTIONS), it is the child: one throughput figure
 * as JSON on the last line of its output.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadOrFail } from '../src/load/check.js';
import { note, throughput } from './fault-search-throughput.js';

const here = fileURLToPath(import.meta.url);
const root = fileURLToPath(new URL('..', import.meta.url));

/** The CPUs this process may run on (Linux's `Cpus_allowed_list`, such as `0-3,8`), in order. */
export function allowedCpus(): number[] {
  const line = readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Cpus_allowed_list:'));
  if (!line) return [];
  return line
    .slice(line.indexOf(':') + 1)
    .trim()
    .split(',')
    .flatMap((part) => {
      const [a, b] = part.split('-').map(Number);
      if (a === undefined || Number.isNaN(a)) return [];
      const last = b ?? a;
      return Array.from({ length: last - a + 1 }, (_, i) => a + i);
    });
}

/** Why the figure cannot be measured here, or undefined when it can. */
function unavailable(): string | undefined {
  if (process.platform !== 'linux') return 'confining a process to some cores needs Linux';
  const probe = spawnSync('taskset', ['--version'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) return 'taskset (util-linux) is not installed';
  if (allowedCpus().length < 2) return 'fewer than two cores';
  return undefined;
}

type Throughput = Awaited<ReturnType<typeof throughput>>;

/** One search in a child process confined to `cpus`, on as many workers. */
function pinned(cpus: readonly number[], executions: number): Throughput {
  const out = execFileSync('taskset', ['-c', cpus.join(','), process.execPath, '--import', 'tsx', here], {
    cwd: root,
    env: {
      ...process.env,
      FAULT_BENCH_CHILD_WORKERS: String(cpus.length),
      FAULT_BENCH_CHILD_EXECUTIONS: String(executions),
      FAULT_BENCH_BUILT: '1',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  const last = out.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as Throughput;
}

/**
 * `trials` alternate runs of one worker on one core and one worker per core on every core the bench may use (which
 * spreads the machine's other load over both). The search code must be built (see `searchCode`).
 */
export function coreScaling(executions: number, trials: number) {
  const why = unavailable();
  if (why) return { skipped: why };
  const cpus = allowedCpus().slice(0, availableParallelism());
  const runs = [];
  for (let i = 0; i < trials; i++) {
    const one = pinned(cpus.slice(0, 1), executions);
    const all = pinned(cpus, executions);
    const speedUp = Math.round((one.seconds / all.seconds) * 100) / 100;
    note(
      `per core: ${speedUp} (one worker on one core ${one.seconds} s, ${all.workers} on ${cpus.length}: ${all.seconds} s)`,
    );
    runs.push({ oneCore: one, allCores: all, speedUp });
  }
  return { executions, cores: cpus.length, ...medianOf(runs, cpus.length), trials: runs };
}

/**
 * The median speed-up of the trials over `workers` workers, and its share of linear (`medianPerWorker`: 1 is each
 * worker adding as much as the first).
 */
export function medianOf(trials: readonly { readonly speedUp: number }[], workers: number) {
  const sorted = trials.map((r) => r.speedUp).sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  return { median, medianPerWorker: Math.round((median / workers) * 100) / 100 };
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const workers = Number(process.env.FAULT_BENCH_CHILD_WORKERS ?? 1);
  const executions = Number(process.env.FAULT_BENCH_CHILD_EXECUTIONS ?? 200);
  const reference = await loadOrFail([fileURLToPath(new URL('../examples', import.meta.url))], {
    warn: () => undefined,
  });
  const figure = await throughput(reference, executions, workers);
  process.stdout.write(`${JSON.stringify(figure)}\n`);
}
