/**
 * Where a fault search's executions run: in this process, on worker threads (Piscina), or on a BullMQ queue served
 * by `maelstrom worker` processes on any number of hosts. Each pool runs a batch and answers its outcomes in the
 * order of the jobs, so the search reads the same results wherever they ran.
 */
import type { Definitions, PacingMode } from '../model/definitions.js';
import type { RunBatch } from '../faults/search.js';
import { tuneForExecutions } from './jit.js';
import { bundleOf, runJob, type DefinitionBundle } from './jobs.js';

export interface ExecutionPool {
  readonly run: RunBatch;
  /** How many executions it runs at once (for the progress line). */
  readonly parallelism: number;
  close(): Promise<void>;
}

export interface PoolOptions {
  readonly definitions: Definitions;
  readonly pacing?: PacingMode;
}

/** One execution after another, in this process. */
export function createInProcessPool(options: PoolOptions): ExecutionPool {
  tuneForExecutions();
  const definitions: DefinitionBundle = bundleOf(options.definitions);
  // One execution at a time even when the search hands out the next job before the last has answered.
  let tail: Promise<unknown> = Promise.resolve();
  const runAll = async (jobs: Parameters<RunBatch>[0]) => {
    const out = [];
    for (const j of jobs)
      out.push(
        await runJob({
          definitions,
          scenario: j.scenario,
          index: j.index,
          ...(options.pacing ? { pacing: options.pacing } : {}),
          ...(j.answer ? { answer: j.answer } : {}),
        }),
      );
    return out;
  };
  return {
    parallelism: 1,
    run: (jobs) => {
      const done = tail.then(() => runAll(jobs));
      tail = done.catch(() => undefined);
      return done;
    },
    close: async () => undefined,
  };
}
