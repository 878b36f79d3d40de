/**
 * `maelstrom worker --queue redis://HOST:PORT [--concurrency N]`: serves a fault search's queue. Runs each execution
 * job it takes (jobs carry their definitions: the worker needs no -f) and answers its outcome, until interrupted:
 * N at once (by default the host's cores), each on a worker thread of its own. Any number of workers on any number
 * of hosts may serve one queue.
 */
import type { Command } from 'commander';
import { MaelstromError } from '../model/errors.js';
import { QUEUE_NAME, startQueueWorker } from '../search/queue.js';
import { defaultWorkers } from '../search/threads.js';

interface WorkerCliOptions {
  readonly queue?: string;
  readonly concurrency: string;
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description("Serve a fault search's executions from a Redis queue (drain-test --search-faults --queue URL).")
    .option('--queue <url>', 'the Redis the search uses, redis://HOST:PORT')
    .option(
      '--concurrency <n>',
      'executions at once, each on a thread of its own (default: the cores)',
      String(defaultWorkers()),
    )
    .action(async (opts: WorkerCliOptions) => {
      if (opts.queue === undefined) throw new MaelstromError('E_BAD_REQUEST', 'worker needs --queue redis://HOST:PORT');
      const concurrency = Number(opts.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1)
        throw new MaelstromError(
          'E_BAD_REQUEST',
          `--concurrency must be a whole number of at least 1, got "${opts.concurrency}"`,
        );
      const worker = await startQueueWorker({
        url: opts.queue,
        concurrency,
        onJob: (index, scenario, ms) => {
          process.stdout.write(`execution ${index} of ${scenario}: ${ms} ms\n`);
        },
      });
      process.stdout.write(
        `serving ${QUEUE_NAME} on ${opts.queue}, ${concurrency} execution${concurrency === 1 ? '' : 's'} at once\n`,
      );
      await new Promise<void>((done) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          done();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await worker.close();
    });
}
