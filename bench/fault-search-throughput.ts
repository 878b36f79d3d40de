/**
 * The fault search's throughput as `maelstrom drain-test … --search-faults` runs it: a lineage search of
 * drain-test-east on a thread pool of the compiled build, its wall time, and its CPU time split by thread. Shared by
 * the bench (bench/fault-search.bench.ts) and its child processes confined to some cores
 * (bench/fault-search-cores.ts).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { searchFaults, type RunBatch } from '../src/faults/search.js';
import { SEARCH_KINDS } from '../src/faults/vocabulary.js';
import type { Definitions, Scenario } from '../src/model/definitions.js';
import { createThreadPool } from '../src/search/threads.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Each figure as it is measured, on stderr: a long bench on a busy machine shows where it stands. */
export function note(text: string): void {
  process.stderr.write(`fault-search: ${text}\n`);
}

export const seconds = (ms: number): number => Math.round(ms / 100) / 10;

/** CPU milliseconds in a Linux stat file (/proc/PID/stat, a process; …/task/TID/stat, a thread): utime + stime. */
export function statCpuMs(path: string): number {
  const stat = readFileSync(path, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // In clock ticks of 10 ms.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** CPU milliseconds of each thread of this process, by thread id (Linux; empty elsewhere). */
function threadCpu(): Map<number, number> {
  const out = new Map<number, number>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      out.set(Number(tid), statCpuMs(`/proc/self/task/${tid}/stat`));
    }
  } catch {
    // Not Linux: no split by thread.
  }
  return out;
}

/**
 * CPU seconds between two readings, split: the search's own thread (the process's first), the `workers` threads
 * that worked most among those started since `before` (the pool's), and the others.
 */
function cpuByThread(
  before: Map<number, number>,
  after: Map<number, number>,
  startedAfter: Set<number>,
  workers: number,
) {
  if (after.size === 0) return undefined;
  const delta = (tid: number): number => (after.get(tid) ?? 0) - (before.get(tid) ?? 0);
  const main = delta(process.pid);
  const pool = [...after.keys()]
    .filter((t) => !startedAfter.has(t))
    .map(delta)
    .sort((a, b) => b - a)
    .slice(0, workers);
  const all = [...after.keys()].reduce((a, t) => a + delta(t), 0);
  const inPool = pool.reduce((a, b) => a + b, 0);
  return {
    searchThread: seconds(main),
    workers: pool.map(seconds),
    others: seconds(all - main - inPool),
  };
}

/** The search and its thread pool as the throughput figures run them. */
interface SearchCode {
  readonly code: 'shipped' | 'source';
  readonly createThreadPool: typeof createThreadPool;
  readonly searchFaults: typeof searchFaults;
}

let shipped: SearchCode | undefined;

/**
 * What `maelstrom drain-test … --search-faults` runs: the compiled build (dist/, built here first), whose worker
 * threads load it as ES modules. FAULT_BENCH_CODE=source runs the TypeScript source instead, as the tests do; its
 * worker threads get it from tsx transformed to CommonJS (every call into another module through a getter), about a
 * quarter slower per execution, which also makes the compiler's share, and so the loss from one worker to two, look
 * smaller than it is.
 */
export async function searchCode(): Promise<SearchCode> {
  if (process.env.FAULT_BENCH_CODE === 'source') return { code: 'source', createThreadPool, searchFaults };
  if (shipped) return shipped;
  // A child process of the bench finds it built already.
  if (process.env.FAULT_BENCH_BUILT !== '1')
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
      cwd: root,
      stdio: 'inherit',
    });
  const dist = (path: string): string => pathToFileURL(join(root, 'dist', path)).href;
  const threads = (await import(dist('search/threads.js'))) as typeof import('../src/search/threads.js');
  const search = (await import(dist('faults/search.js'))) as typeof import('../src/faults/search.js');
  shipped = { code: 'shipped', createThreadPool: threads.createThreadPool, searchFaults: search.searchFaults };
  return shipped;
}

/**
 * The pool's run, counting how long its workers had nothing to run: the integral of (workers − executions handed
 * out and not yet answered) while the search runs. What the search's own pace costs (the solver between batches, the
 * batch's last executions running while the other workers wait), whatever the machine's load.
 */
function idleCounting(run: RunBatch, workers: number) {
  let out = 0;
  let last = 0;
  let idleMs = 0;
  let counting = false;
  const step = (d: number): void => {
    const t = performance.now();
    if (counting) idleMs += Math.max(0, workers - out) * (t - last);
    last = t;
    out += d;
  };
  const counted: RunBatch = async (jobs) => {
    step(jobs.length);
    try {
      return await run(jobs);
    } finally {
      step(-jobs.length);
    }
  };
  return {
    run: counted,
    start: (): void => {
      last = performance.now();
      idleMs = 0;
      counting = true;
    },
    stop: (): number => {
      step(0);
      counting = false;
      return idleMs;
    },
  };
}

/**
 * Warms a pool's workers outside a measure: a random search of `executions` executions with another seed than the
 * measured search's, so that the workers have optimised the code without having seen the measured search's faults.
 */
export async function warmUp(
  search: typeof searchFaults,
  scenario: Scenario,
  run: RunBatch,
  executions: number,
): Promise<void> {
  if (executions <= 0) return;
  await search(scenario, { strategy: 'random', maxFaults: 2, budget: executions, seed: 99, kinds: SEARCH_KINDS }, run);
}

/**
 * Wall time, and the CPU time of the process (its worker threads included): on a shared machine the wall time
 * depends on what else runs, the CPU time much less, and CPU seconds ÷ workers is what an idle machine would take.
 * The pool is warmed first: each thread runs the fault-free execution once, outside the measure (started, code
 * loaded, definitions loaded); with `warm`, each also runs that many executions of a random search (another seed)
 * before the measure, so that what is measured is the steady pace once V8 has optimised the code.
 */
export async function throughput(definitions: Definitions, executions: number, workers: number, warm = 0) {
  const search = await searchCode();
  const existing = new Set(threadCpu().keys());
  const pool = search.createThreadPool({ definitions, workers });
  const counting = idleCounting(pool.run, workers);
  const scenario = definitions.scenarios.get('drain-test-east')!;
  try {
    await Promise.all(Array.from({ length: workers }, () => pool.run([{ index: 0, scenario, keys: [] }])));
    await warmUp(search.searchFaults, scenario, pool.run, warm * workers);
    const load0 = loadavg()[0]!;
    const threads0 = threadCpu();
    const elu0 = performance.eventLoopUtilization();
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    counting.start();
    const r = await search.searchFaults(
      scenario,
      { strategy: 'lineage', maxFaults: 2, budget: executions, seed: 1, kinds: SEARCH_KINDS },
      counting.run,
    );
    const idleMs = counting.stop();
    const cpu = process.cpuUsage(cpu0);
    const wall = performance.now() - t0;
    const elu = performance.eventLoopUtilization(elu0);
    const byThread = cpuByThread(threads0, threadCpu(), existing, workers);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const out = {
      code: search.code,
      workers,
      ...(warm > 0 ? { warmedWith: warm } : {}),
      executions: r.executions,
      counterexamples: r.counterexamples.length,
      seconds: seconds(wall),
      cpuSeconds: seconds(cpuMs),
      cpuMsPerExecution: Math.round(cpuMs / r.executions),
      ...(byThread ? { cpuSecondsByThread: byThread } : {}),
      // How busy the search's own thread was: what it adds beside the workers.
      searchThreadBusySeconds: seconds(elu.active),
      // The share of the workers' time with nothing handed out to them (the search's pace, not the machine's).
      workersIdleShare: Math.round((idleMs / (workers * wall)) * 1000) / 1000,
      loadAverage1m: [Math.round(load0 * 10) / 10, Math.round(loadavg()[0]! * 10) / 10],
    };
    note(`throughput on ${workers} worker(s): ${JSON.stringify(out)}`);
    return out;
  } finally {
    await pool.close();
  }
}
