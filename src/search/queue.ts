/**
 * A fault search's executions on a BullMQ queue in Redis: the search adds each batch's jobs (which carry their
 * definitions) and waits for their results; `maelstrom worker --queue redis://HOST:PORT` processes them, on any
 * number of hosts. Results come back by job, so the search reads them in job order whoever ran them.
 */
import { Queue, QueueEvents, Worker, type ConnectionOptions } from 'bullmq';
import { MaelstromError } from '../model/errors.js';
import type { ExecutionOutcome } from '../faults/search.js';
import { tuneForExecutions } from './jit.js';
import { bundleOf, runJob, type ExecutionJobData } from './jobs.js';
import type { ExecutionPool, PoolOptions } from './pool.js';
import { createJobThreads } from './threads.js';

/** The queue every search and worker on a Redis shares: jobs carry everything, so any worker can run any job. */
export const QUEUE_NAME = 'maelstrom-fault-search';

/** How long the search waits for one job before it gives up (no worker is serving the queue, say). */
const JOB_TIMEOUT_MS = 30 * 60_000;

/** `redis://[:password@]host:port[/db]` → BullMQ's connection options; anything else is refused. */
export function connectionOf(url: string): ConnectionOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new MaelstromError('E_BAD_REQUEST', `--queue: "${url}" is not a URL such as redis://127.0.0.1:6379`);
  }
  if (u.protocol !== 'redis:')
    throw new MaelstromError(
      'E_BAD_REQUEST',
      `--queue: "${url}" is not a redis:// URL (such as redis://127.0.0.1:6379)`,
    );
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0)
    throw new MaelstromError('E_BAD_REQUEST', `--queue: "${u.pathname.slice(1)}" is not a Redis database number`);
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    db,
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    // Fail fast on a host that does not answer, rather than retry for ever.
    maxRetriesPerRequest: null,
    connectTimeout: 5_000,
  };
}

export function createQueuePool(options: PoolOptions & { readonly url: string }): ExecutionPool {
  const connection = connectionOf(options.url);
  const queue = new Queue<ExecutionJobData, ExecutionOutcome>(QUEUE_NAME, { connection });
  const events = new QueueEvents(QUEUE_NAME, { connection });
  const definitions = bundleOf(options.definitions);
  let ready: Promise<unknown> | undefined;
  return {
    parallelism: 0,
    run: async (jobs) => {
      ready ??= Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
      await ready;
      const added = await queue.addBulk(
        jobs.map((j) => ({
          name: `execution-${j.index}`,
          data: {
            definitions,
            scenario: j.scenario,
            index: j.index,
            ...(options.pacing ? { pacing: options.pacing } : {}),
            ...(j.answer ? { answer: j.answer } : {}),
          },
          opts: { removeOnComplete: { age: 3600 }, removeOnFail: { age: 24 * 3600 } },
        })),
      );
      return Promise.all(added.map((job): Promise<ExecutionOutcome> => job.waitUntilFinished(events, JOB_TIMEOUT_MS)));
    },
    close: async () => {
      await events.close();
      await queue.close();
    },
  };
}

export interface QueueWorker {
  /** Stops taking jobs, lets the running ones finish, and disconnects. */
  close(): Promise<void>;
}

/**
 * Serves the queue: takes up to `concurrency` jobs at once (1 by default) and answers each outcome. An execution is
 * all computation, so more than one at once runs each on a worker thread of its own (one per job taken, started
 * with the worker); one runs in this process.
 */
export async function startQueueWorker(options: {
  readonly url: string;
  readonly concurrency?: number;
  readonly onJob?: (index: number, scenario: string, ms: number) => void;
}): Promise<QueueWorker> {
  tuneForExecutions();
  const concurrency = options.concurrency ?? 1;
  const threads = concurrency > 1 ? createJobThreads(concurrency) : undefined;
  const execute = threads ? (data: ExecutionJobData) => threads.run(data) : runJob;
  const worker = new Worker<ExecutionJobData, ExecutionOutcome>(
    QUEUE_NAME,
    async (job) => {
      const t0 = Date.now();
      const out = await execute(job.data);
      options.onJob?.(job.data.index, job.data.scenario.metadata.name, Date.now() - t0);
      return out;
    },
    { connection: connectionOf(options.url), concurrency },
  );
  // A lost connection is retried by the client; say so once rather than on every attempt.
  let warned = false;
  worker.on('error', (e) => {
    if (!warned) process.stderr.write(`worker: ${e.message} (retrying)\n`);
    warned = true;
  });
  worker.on('ready', () => {
    warned = false;
  });
  await worker.waitUntilReady();
  return {
    close: async () => {
      await worker.close();
      await threads?.destroy();
    },
  };
}
