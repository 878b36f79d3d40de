/**
 * The speed-up per worker past one machine: the whole search on a Redis queue (Debian's redis-server, started here)
 * served by one `maelstrom worker` process, against one process per core, each confined to a core of its own
 * (`taskset`), as hosts of one core each would serve it. The search runs in this process, on any core; every process
 * runs the compiled build.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SEARCH_KINDS } from '../src/faults/vocabulary.js';
import type { Definitions } from '../src/model/definitions.js';
import { startRedis } from '../test/integration/redis.js';
import { allowedCpus, medianOf } from './fault-search-cores.js';
import { note, seconds, statCpuMs, warmUp } from './fault-search-throughput.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Why the figure cannot be measured here, or undefined when it can. */
function unavailable(): string | undefined {
  if (process.platform !== 'linux') return 'confining a process to a core needs Linux';
  for (const [program, arg] of [
    ['taskset', '--version'],
    ['redis-server', '--version'],
  ] as const) {
    const probe = spawnSync(program, [arg], { stdio: 'ignore' });
    if (probe.error || probe.status !== 0) return `${program} is not installed`;
  }
  if (allowedCpus().length < 2) return 'fewer than two cores';
  return undefined;
}

/** A `maelstrom worker` on the queue, confined to one CPU; answers once it serves. */
async function startWorker(url: string, cpu: number): Promise<ChildProcess> {
  const child = spawn(
    'taskset',
    ['-c', String(cpu), process.execPath, 'bin/maelstrom.js', 'worker', '--queue', url, '--concurrency', '1'],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('serving')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`maelstrom worker exited (${code}) before serving`)));
  });
  return child;
}

async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** The compiled build's queue pool and search (built by the bench's throughput figures before this runs). */
async function shippedQueue() {
  const dist = (path: string): string => pathToFileURL(join(root, 'dist', path)).href;
  const queue = (await import(dist('search/queue.js'))) as typeof import('../src/search/queue.js');
  const search = (await import(dist('faults/search.js'))) as typeof import('../src/faults/search.js');
  return { createQueuePool: queue.createQueuePool, searchFaults: search.searchFaults };
}

/**
 * The whole search on `cpus.length` worker processes, one on each of `cpus`. With `warm`, the workers first serve a
 * random search (another seed) of `warm` executions each, outside the measure: hosts that have served a search before,
 * as long-running `maelstrom worker` processes have.
 */
async function onHosts(
  definitions: Definitions,
  url: string,
  cpus: readonly number[],
  executions: number,
  warm: number,
) {
  const code = await shippedQueue();
  const workers: ChildProcess[] = [];
  try {
    for (const cpu of cpus) workers.push(await startWorker(url, cpu));
    const pool = code.createQueuePool({ definitions, url });
    const scenario = definitions.scenarios.get('drain-test-east')!;
    try {
      await warmUp(code.searchFaults, scenario, pool.run, warm * cpus.length);
      const cpu0 = workers.map((w) => statCpuMs(`/proc/${w.pid!}/stat`));
      const t0 = performance.now();
      const r = await code.searchFaults(
        scenario,
        { strategy: 'lineage', maxFaults: 2, budget: executions, seed: 1, kinds: SEARCH_KINDS },
        pool.run,
      );
      const wall = performance.now() - t0;
      const cpu = workers.map((w, i) => statCpuMs(`/proc/${w.pid!}/stat`) - cpu0[i]!);
      return {
        hosts: cpus.length,
        executions: r.executions,
        counterexamples: r.counterexamples.length,
        seconds: seconds(wall),
        workerCpuSeconds: cpu.map(seconds),
      };
    } finally {
      await pool.close();
    }
  } finally {
    await Promise.all(workers.map(stopWorker));
  }
}

/**
 * `trials` alternate runs of one worker process on one core and one per core; the median speed-up. With `warm`, on
 * workers that have served `warm` executions each before the measure (see `onHosts`).
 */
export async function hostScaling(definitions: Definitions, executions: number, trials: number, warm = 0) {
  const why = unavailable();
  if (why) return { skipped: why };
  const cpus = allowedCpus().slice(0, availableParallelism());
  const redis = await startRedis();
  try {
    const runs = [];
    for (let i = 0; i < trials; i++) {
      const one = await onHosts(definitions, redis.url, cpus.slice(0, 1), executions, warm);
      const all = await onHosts(definitions, redis.url, cpus, executions, warm);
      const speedUp = Math.round((one.seconds / all.seconds) * 100) / 100;
      note(
        `per host${warm > 0 ? ' (warm)' : ''}: ${speedUp} (one worker process ${one.seconds} s, ${all.hosts}: ${all.seconds} s)`,
      );
      runs.push({ oneHost: one, allHosts: all, speedUp });
    }
    return {
      executions,
      ...(warm > 0 ? { warmedWith: warm } : {}),
      hosts: cpus.length,
      ...medianOf(runs, cpus.length),
      trials: runs,
    };
  } finally {
    await redis.stop();
  }
}
