/**
 * A fault search's executions on worker threads (Piscina), one execution per thread at a time. Each thread loads
 * the definitions once (they travel with every job, keyed by hash) and keeps its compiled code warm.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { ExecutionOutcome } from '../faults/search.js';
import { bundleOf, type ExecutionJobData } from './jobs.js';
import { tuneForExecutions } from './jit.js';
import type { ExecutionPool, PoolOptions } from './pool.js';

/** The thread's module: compiled JavaScript beside this file, or the TypeScript source when run through tsx. */
function workerFile(): { filename: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) {
    // From source (tests, `npx tsx bin/dev.ts`): the thread loads TypeScript through tsx as this process does.
    return { filename: here.replace(/threads\.ts$/, 'thread-worker.ts'), execArgv: ['--import', 'tsx'] };
  }
  return { filename: here.replace(/threads\.js$/, 'thread-worker.js'), execArgv: [] };
}

/** The default number of workers: the machine's cores. */
export function defaultWorkers(): number {
  return availableParallelism();
}

/**
 * Threads that each run one execution job at a time (the module is thread-worker.ts); `run` answers its outcome.
 * A thread keeps the definitions of the jobs it has run (by hash) and its compiled code warm between jobs.
 */
export function createJobThreads(threads: number): Piscina<ExecutionJobData, ExecutionOutcome> {
  const { filename, execArgv } = workerFile();
  tuneForExecutions(); // before the threads start: their isolates take the process's flags
  return new Piscina<ExecutionJobData, ExecutionOutcome>({
    filename,
    minThreads: threads,
    maxThreads: threads,
    concurrentTasksPerWorker: 1,
    idleTimeout: 60_000,
    execArgv,
  });
}

export function createThreadPool(options: PoolOptions & { readonly workers: number }): ExecutionPool {
  const pool = createJobThreads(options.workers);
  const definitions = bundleOf(options.definitions);
  return {
    parallelism: options.workers,
    run: (jobs) =>
      Promise.all(
        jobs.map((j) =>
          pool.run({
            definitions,
            scenario: j.scenario,
            index: j.index,
            ...(options.pacing ? { pacing: options.pacing } : {}),
            ...(j.answer ? { answer: j.answer } : {}),
          } satisfies ExecutionJobData),
        ),
      ),
    close: () => pool.destroy(),
  };
}
