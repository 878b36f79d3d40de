/**
 * `maelstrom lab [--datacenters N] [--rps R] [--controllers C] [--duration D] [--report FILE] [--link]`: a real lab
 * on loopback (HAProxy, a service in each datacenter, Prometheus, a steady load), where the engine drains and
 * restores the first datacenter; prints the report (and writes it with --report). Ctrl-C stops everything the lab
 * started. With `--controllers 2` or more, the controllers are processes on a PostgreSQL store of the lab's own
 * (`maelstrom lab-controller`, a hidden command), and the leading one is killed with SIGKILL mid-drain.
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { formatDuration, parseDuration } from '../model/duration.js';
import { MaelstromError } from '../model/errors.js';
import { createSqliteStore } from '../store/sqlite/sqlite-store.js';
import { planOutcomeLine } from '../report/plan-outcome.js';
import { openStore } from './run-options.js';

interface LabOptions {
  readonly datacenters: string;
  readonly controllers: string;
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
      'Drain and restore a datacenter of a real lab on loopback (HAProxy, Prometheus, a service) under steady load, and report.',
    )
    .option('--datacenters <n>', 'number of datacenters (each with its own service)', '3')
    .option('--rps <r>', 'steady load, requests per second', '1000')
    .option(
      '--controllers <n>',
      'controller processes on a PostgreSQL store of the lab; with 2 or more, the leader is killed mid-drain',
      '1',
    )
    .option('--duration <d>', 'how long the datacenter stays drained before the restore', '5s')
    .option('--settle <d>', 'observation window after each traffic step', '1s')
    .option('--report <file>', 'also write the report JSON to this file')
    .option('-q, --quiet', 'print only the report')
    .option('--link', 'also replicate a stream between two datacenters across an emulated lossy long-haul link')
    .action(async (opts: LabOptions) => {
      const datacenters = wholeNumber(opts.datacenters, '--datacenters', 2);
      const rps = wholeNumber(opts.rps, '--rps', 1);
      const controllers = wholeNumber(opts.controllers, '--controllers', 1);
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
          ...(controllers > 1
            ? {
                controllers: { count: controllers, command: [process.execPath, ...process.execArgv, process.argv[1]!] },
              }
            : {}),
          signal: abort.signal,
          link: opts.link === true,
          log: opts.quiet ? undefined : (m) => process.stderr.write(`lab: ${m}\n`),
        });
        const json = `${JSON.stringify(report, null, 2)}\n`;
        if (opts.report) await writeFile(opts.report, json);
        process.stdout.write(json);
        // The JSON is for scripts; people read the summary beside it.
        for (const p of report.plans)
          process.stderr.write(
            `maelstrom lab: ${planOutcomeLine(p) ?? `${p.name} succeeded in ${formatDuration((p.drainSeconds ?? 0) * 1000)}`}\n`,
          );
        process.stderr.write(`maelstrom lab: ${report.failedRequests} failed request(s)\n`);
        const during = report.load.duringPlans;
        if (during && during.rps !== null)
          // Short of the rate asked, the machine's load says why: the lab got less CPU than it needs.
          process.stderr.write(
            `maelstrom lab: ${during.rps} requests/s while the plans ran (${rps} asked, ${report.load.generator}), ` +
              `${during.cpuMicrosecondsPerRequest ?? '?'} µs of CPU a request, ` +
              `load average ${during.loadAverage1m[0]} → ${during.loadAverage1m[1]}\n`,
          );
        if (report.outcome !== 'succeeded') process.exitCode = 3;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await store.close();
      }
    });
}

interface LabControllerOptions {
  readonly store: string;
  readonly socket: string;
  readonly prometheus: string;
  readonly datacenters: string;
  readonly rps: string;
  readonly settle?: string;
  readonly datacenter?: string;
}

/**
 * `maelstrom lab-controller` (hidden): one of the lab's replicated controllers, started by `maelstrom lab
 * --controllers N`: a `serve` replica on the lab's HAProxy and Prometheus, its API on a free loopback port.
 */
export function registerLabController(program: Command): void {
  program
    .command('lab-controller', { hidden: true })
    .description('One controller of `maelstrom lab --controllers N` (started by the lab).')
    .requiredOption('--store <url>', "the lab's PostgreSQL store")
    .requiredOption('--socket <path>', "HAProxy's runtime socket")
    .requiredOption('--prometheus <url>', "the lab's Prometheus")
    .requiredOption('--datacenters <n>', "the lab's datacenters")
    .requiredOption('--rps <r>', "the lab's load")
    .option('--settle <d>', 'observation window after each traffic step')
    .option('--datacenter <dc>', 'the datacenter this controller runs in')
    .action(async (opts: LabControllerOptions) => {
      const [{ labBackend, LAB_ENGINE_OPTIONS }, { startServing, untilSignal }] = await Promise.all([
        import('../lab/session.js'),
        import('./serve.js'),
      ]);
      const say = (m: string): void => {
        process.stdout.write(`lab-controller: ${m}\n`);
      };
      const { definitions, backend } = labBackend(
        {
          datacenters: wholeNumber(opts.datacenters, '--datacenters', 2),
          rps: wholeNumber(opts.rps, '--rps', 1),
          settle: opts.settle,
          socket: opts.socket,
          prometheusUrl: opts.prometheus,
        },
        (m) => say(`warning: ${m}`),
      );
      const store = await openStore(opts.store);
      const signalled = untilSignal();
      const serving = await startServing({
        definitions,
        backend,
        store,
        port: 0,
        engine: LAB_ENGINE_OPTIONS,
        ...(opts.datacenter !== undefined ? { datacenter: opts.datacenter } : {}),
        warn: (m) => say(`warning: ${m}`),
        info: (m) => say(m),
      });
      const { replica } = serving;
      replica.onStatus((s) => say(`${s.state} (epoch ${s.epoch ?? '?'})`));
      say(`${serving.server.url} ${replica.id} ${replica.status().state}`);
      await signalled;
      await serving.close();
    });
}
