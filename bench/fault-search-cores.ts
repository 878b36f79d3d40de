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
import { spawn, spawnSync } from 'node:child_process';
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

/** One search in a child process confined to `cpus`, on as many workers, each warmed by `warm` executions first. */
async function pinned(cpus: readonly number[], executions: number, warm: number): Promise<Throughput> {
  const child = spawn('taskset', ['-c', cpus.join(','), process.execPath, '--import', 'tsx', here], {
    cwd: root,
    env: {
      ...process.env,
      FAULT_BENCH_CHILD_WORKERS: String(cpus.length),
      FAULT_BENCH_CHILD_EXECUTIONS: String(executions),
      FAULT_BENCH_CHILD_WARM: String(warm),
      FAULT_BENCH_BUILT: '1',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`the search confined to CPUs ${cpus.join(',')} exited ${code}`);
  return JSON.parse(out.trim().split('\n').pop() ?? '') as Throughput;
}

const ratio = (a: number, b: number): number => Math.round((a / b) * 100) / 100;

/**
 * `trials` alternate runs (which spreads the machine's other load over them) of one worker on one core, one worker
 * per core on every core the bench may use, and, as the machine's ceiling, as many whole searches at once, each on
 * one worker confined to a core of its own: they share nothing but the machine, so `independentSpeedUp` (their
 * executions per second against the one search's) is what the cores give this work when nothing is shared and no
 * code is compiled twice for one search. The search code must be built (see `searchCode`).
 *
 * With `warm`, every worker first runs that many executions of a random search (another seed) outside the measure,
 * as a `maelstrom worker` that has served a search before has: what is left is the steady pace, without the one
 * warm-up each new worker's isolate pays (V8 optimising the code from scratch, most of it in its first fifty
 * executions), which a cold search of a few hundred executions pays once per worker.
 */
export async function coreScaling(executions: number, trials: number, warm = 0) {
  const why = unavailable();
  if (why) return { skipped: why };
  const cpus = allowedCpus().slice(0, availableParallelism());
  const runs = [];
  for (let i = 0; i < trials; i++) {
    const one = await pinned(cpus.slice(0, 1), executions, warm);
    const all = await pinned(cpus, executions, warm);
    const apart = await Promise.all(cpus.map((cpu) => pinned([cpu], executions, warm)));
    const speedUp = ratio(one.seconds, all.seconds);
    const independentSpeedUp = ratio(cpus.length * one.seconds, Math.max(...apart.map((r) => r.seconds)));
    // The CPU an execution costs apart against on the workers of one search, both with every core busy: what the
    // search's sharing of the work costs, much less sensitive than wall times to how fast this machine's cores are
    // at the moment (on a shared virtual machine, that changes by a tenth or more from one minute to the next).
    const apartCpu = apart.reduce((a, r) => a + r.cpuSeconds, 0) / apart.length;
    const cpuOfApart = ratio(apartCpu, all.cpuSeconds);
    note(
      `per core${warm > 0 ? ' (warm)' : ''}: ${speedUp} (one worker on one core ${one.seconds} s, ${all.workers} on ${cpus.length}: ` +
        `${all.seconds} s; ${cpus.length} searches apart, one a core: ${apart.map((r) => r.seconds).join(', ')} s, ` +
        `${independentSpeedUp}; CPU an execution apart against together ${cpuOfApart})`,
    );
    runs.push({ oneCore: one, allCores: all, apart, speedUp, independentSpeedUp, cpuOfApart });
  }
  const speedUps = medianOf(runs, cpus.length);
  const ceiling = medianOf(
    runs.map((r) => ({ speedUp: r.independentSpeedUp })),
    cpus.length,
  );
  return {
    executions,
    ...(warm > 0 ? { warmedWith: warm } : {}),
    cores: cpus.length,
    ...speedUps,
    independentMedian: ceiling.median,
    // The speed-up's share of what the machine gives work that shares nothing.
    ofCeiling: ratio(speedUps.median, ceiling.median),
    // 1 is a search on N workers spending what N searches apart spend on as many executions each.
    cpuOfApart: medianOf(
      runs.map((r) => ({ speedUp: r.cpuOfApart })),
      1,
    ).median,
    trials: runs,
  };
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
  const warm = Number(process.env.FAULT_BENCH_CHILD_WARM ?? 0);
  const reference = await loadOrFail([fileURLToPath(new URL('../examples', import.meta.url))], {
    warn: () => undefined,
  });
  const figure = await throughput(reference, executions, workers, warm);
  process.stdout.write(`${JSON.stringify(figure)}\n`);
}
