/**
 * `maelstrom lab [--datacenters N] [--rps R] [--duration D] [--report FILE] [--link]`: a real lab on loopback (HAProxy,
 * one service process per datacenter, Prometheus, a steady load), where the engine drains and restores the first
 * datacenter; prints the report (and writes it with --report). Ctrl-C stops everything the lab started.
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parseDuration } from '../model/duration.js';
import { MaelstromError } from '../model/errors.js';
import { createSqliteStore } from '../store/sqlite/sqlite-store.js';

interface LabOptions {
  readonly datacenters: string;
  readonly rps: string;
  readonly duration: string;
  readonly settle: string;
  readonly report?: string;
  readonly quiet?: boolean;
  readonly link?: boolean;
}

function wholeNumber(text: string, what: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new MaelstromError('E_BAD_REQUEST', `${what} must be a whole number of at least ${min}, got "${text}"`);
  return n;
}

export function registerLab(program: Command): void {
  program
    .command('lab')
    .description(
      'Drain and restore a datacenter of a real lab on loopback (HAProxy, Prometheus, service processes) under steady load, and report.',
    )
    .option('--datacenters <n>', 'number of datacenters (service processes)', '3')
    .option('--rps <r>', 'steady load, requests per second', '1000')
    .option('--duration <d>', 'how long the datacenter stays drained before the restore', '5s')
    .option('--settle <d>', 'observation window after each traffic step', '1s')
    .option('--report <file>', 'also write the report JSON to this file')
    .option('-q, --quiet', 'print only the report')
    .option('--link', 'also replicate a stream between two datacenters across an emulated lossy long-haul link')
    .action(async (opts: LabOptions) => {
      const datacenters = wholeNumber(opts.datacenters, '--datacenters', 2);
      const rps = wholeNumber(opts.rps, '--rps', 1);
      const drainedMs = parseDuration(opts.duration);
      if (drainedMs === undefined)
        throw new MaelstromError(
          'E_BAD_REQUEST',
          `--duration must be a duration such as 10s or 1m, got "${opts.duration}"`,
        );
      if (parseDuration(opts.settle) === undefined)
        throw new MaelstromError('E_BAD_REQUEST', `--settle must be a duration such as 1s, got "${opts.settle}"`);
      const store = createSqliteStore({ path: ':memory:' });
      await store.init();
      const abort = new AbortController();
      const onSignal = (): void => {
        process.stderr.write('maelstrom lab: stopping everything it started…\n');
        abort.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        // Loaded on demand: the lab's load generator is heavy, and every other command would pay for it at start.
        const { runLab } = await import('../lab/run.js');
        const report = await runLab({
          datacenters,
          rps,
          drainedSeconds: drainedMs / 1000,
          settle: opts.settle,
          store,
          signal: abort.signal,
          link: opts.link === true,
          log: opts.quiet ? undefined : (m) => process.stderr.write(`lab: ${m}\n`),
        });
        const json = `${JSON.stringify(report, null, 2)}\n`;
        if (opts.report) await writeFile(opts.report, json);
        process.stdout.write(json);
        if (report.outcome !== 'succeeded') {
          const plans = report.plans.map((p) => `${p.name} ${p.outcome}`).join(', ');
          process.stderr.write(`maelstrom lab: ${report.failedRequests} failed request(s); plans: ${plans}\n`);
          process.exitCode = 3;
        }
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await store.close();
      }
    });
}
